{
  "target_defaults": {
    "cflags!": ["-fno-exceptions", "-O2"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
    "cflags": ["-O3", "-fPIC"],
    "cflags_cc": ["-std=c++17", "-O3", "-fno-trapping-math", "-ffp-contract=off", "-fexceptions", "-fPIC"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-trapping-math", "-ffp-contract=off"]
    },
    "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] } }
  },
  "targets": [
    {
      "target_name": "tapegrad_isa_avx2",
      "type": "static_library",
      "sources": ["native/simd/isa_avx2.cc"],
      "conditions": [
        ["target_arch=='x64'", { "cflags_cc": ["-mavx2", "-mfma"], "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"] } }]
      ]
    },
    {
      "target_name": "tapegrad_isa_avx512",
      "type": "static_library",
      "sources": ["native/simd/isa_avx512.cc"],
      "conditions": [
        ["target_arch=='x64'", { "cflags_cc": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma"], "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mfma"] } }]
      ]
    },
    {
      "target_name": "tapegrad",
      "dependencies": ["tapegrad_isa_avx2", "tapegrad_isa_avx512"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "sources": [
        "native/addon.cc",
        "native/parallel.cc",
        "native/validate.cc",
        "native/simd/dispatch.cc",
        "native/simd/isa_base.cc",
        "native/kernels/elementwise.cc",
        "native/kernels/reduce.cc",
        "native/kernels/linalg.cc",
        "native/kernels/index.cc",
        "native/kernels/random.cc",
        "native/kernels/runtime.cc",
        "native/kernels/optim.cc",
        "native/kernels/conv.cc",
        "native/kernels/norm.cc",
        "native/kernels/loss.cc"
      ]
    }
  ]
}
