/** Placeholder until the ONNX exporter lands. @internal */
import type * as tfl from '@tensorflow/tfjs-layers';
export function exportOnnxGenerator(_model: tfl.LayersModel): Uint8Array {
  throw new Error('ONNX export is not implemented yet');
}
