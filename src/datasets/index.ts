// tg.datasets: small datasets to learn and test with.
export { digits } from './digits';
export type { LabelledData } from './digits';
export { fashionMnist, FASHION_MNIST_ROOT } from './fashion-mnist';
export type { FashionMnistOptions } from './fashion-mnist';
