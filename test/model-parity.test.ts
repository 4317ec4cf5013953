import { describeModelParity } from './model/parity.js';
import { PAPER_REFERENCE } from './model/reference.js';

// The paper model (10M parameters) with the original's weights: runs where ../shared/reference is.
describeModelParity(PAPER_REFERENCE);
