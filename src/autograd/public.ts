// tg.autograd: PyTorch's torch.autograd names (grad and the gradient checks are also on tg itself).
export { setDetectAnomaly, detectAnomaly, isAnomalyEnabled } from './anomaly';
export { grad } from './engine';
export { gradcheck, gradgradcheck } from './gradcheck';
