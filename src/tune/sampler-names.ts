// Samplers by the names the CLI takes.
import { Sampler } from './samplers/sampler';
import { RandomSampler } from './samplers/random';
import { TPESampler } from './samplers/tpe/sampler';
import { GPSampler } from './samplers/gp/sampler';

const factories: Record<string, () => Sampler> = {
  tpe: () => new TPESampler(),
  random: () => new RandomSampler(),
  gp: () => new GPSampler(),
};

export const samplerNames = (): string[] => Object.keys(factories);

export function samplerByName(name: string): Sampler {
  const make = factories[name];
  if (!make) throw new RangeError(`tapegrad tune: --sampler must be one of ${Object.keys(factories).join(', ')}, got ${name}`);
  return make();
}
