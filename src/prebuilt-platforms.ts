// The platforms (`${process.platform}-${process.arch}`) that the release tarball carries a prebuilt
// binary for: what .github/workflows/prebuild.yml builds and the README lists (a test keeps the
// three equal). linux-x64, linux-arm64 and win32-x64 are also made by `npm run prebuild:all`.
export const PREBUILT_PLATFORMS: readonly string[] = [
  'linux-x64',
  'linux-arm64',
  'win32-x64',
  'win32-arm64',
  'darwin-x64',
  'darwin-arm64',
];
