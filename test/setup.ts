// Every unit test runs on the pure-JS cpu backend unless it selects another one itself.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';

await tf.setBackend('cpu');
await tf.ready();
