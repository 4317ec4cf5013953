// Entry of every worker thread: workers start without the main thread's tsx loader, so this
// registers it and then imports the TypeScript module named in workerData.tsModule.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsModule);
