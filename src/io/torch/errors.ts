/**
 * The error class of the PyTorch file readers (`readTorchStateDict`, the unpickler): every problem with
 * a `.pth` file's bytes (format, pickle, storages, sizes, values) is reported as a {@link TorchFormatError}
 * whose message names the file part (entry, storage, tensor) and the size or value at fault.
 */

/** Thrown when a PyTorch checkpoint's bytes cannot be read as a state dict; the message says why. */
export class TorchFormatError extends Error {
  /** @param message - what is wrong with the file, naming the entry, storage or tensor. */
  constructor(message: string) {
    super(message);
    this.name = 'TorchFormatError';
  }
}
