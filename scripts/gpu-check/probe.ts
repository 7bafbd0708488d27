// The backend probe as one JSON line, for the GPU check (scripts/gpu-check/run.sh).
import { probeBackends } from '../../main/engine/backends';

console.log(JSON.stringify(await probeBackends()));
