import { describeModelParity } from './model/parity.js';
import { TINY_REFERENCE } from './model/reference.js';

// The tiny preset with the original's weights (test/data/reference-tiny): runs in every checkout.
describeModelParity(TINY_REFERENCE);
