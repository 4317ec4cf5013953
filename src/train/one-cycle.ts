/**
 * PyTorch's OneCycleLR with its defaults (two phases, cosine annealing): the learning rate warms
 * up from max_lr/div_factor to max_lr over the first pct_start of the steps, then anneals to
 * initial_lr/final_div_factor; Adam's β1 cycles the other way, from max_momentum down to
 * base_momentum and back. A pure function of the step, so a resumed run needs only the step.
 */
export interface OneCycleOptions {
  maxLr: number;
  totalSteps: number;
  pctStart?: number;
  divFactor?: number;
  finalDivFactor?: number;
  baseMomentum?: number;
  maxMomentum?: number;
}

export interface ScheduleValues {
  lr: number;
  /** Adam's β1 at this step. */
  beta1: number;
}

/** PyTorch's `_annealing_cos`: from `start` at pct 0 to `end` at pct 1 along half a cosine. */
function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

export function oneCycle(options: OneCycleOptions): (step: number) => ScheduleValues {
  const { maxLr, totalSteps } = options;
  const pctStart = options.pctStart ?? 0.3;
  const initialLr = maxLr / (options.divFactor ?? 25);
  const minLr = initialLr / (options.finalDivFactor ?? 1e4);
  const baseMomentum = options.baseMomentum ?? 0.85;
  const maxMomentum = options.maxMomentum ?? 0.95;
  const phases = [
    { endStep: pctStart * totalSteps - 1, lr: [initialLr, maxLr], beta1: [maxMomentum, baseMomentum] },
    { endStep: totalSteps - 1, lr: [maxLr, minLr], beta1: [baseMomentum, maxMomentum] },
  ];
  return (step) => {
    if (step > totalSteps) throw new Error(`OneCycle schedule stepped ${step} times, past its total of ${totalSteps}`);
    let startStep = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i];
      if (step <= phase.endStep || i === phases.length - 1) {
        const pct = (step - startStep) / (phase.endStep - startStep);
        return { lr: annealCos(phase.lr[0], phase.lr[1], pct), beta1: annealCos(phase.beta1[0], phase.beta1[1], pct) };
      }
      startStep = phase.endStep;
    }
    throw new Error('unreachable: the last phase always matches');
  };
}
