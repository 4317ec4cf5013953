import * as tf from '@tensorflow/tfjs';

/**
 * Adam as PyTorch computes it (eps outside the square root of the bias-corrected second moment,
 * bias corrections from the *current* β1 and β2), because OneCycleLR changes β1 every step and
 * tfjs's AdamOptimizer keeps a running product of β1 instead. Its state is plain named tensors,
 * so that checkpoints can save and restore it exactly.
 */
export class Adam {
  /** Optimiser steps taken so far (PyTorch's per-parameter `step`, the same for all parameters here). */
  step = 0;
  readonly beta2: number;
  readonly eps: number;
  private readonly firstMoments = new Map<string, tf.Variable>();
  private readonly secondMoments = new Map<string, tf.Variable>();

  constructor(private readonly params: Map<string, tf.Variable>, options: { beta2?: number; eps?: number } = {}) {
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [name, p] of params) {
      this.firstMoments.set(name, tf.variable(tf.zerosLike(p), false));
      this.secondMoments.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /** One update of every parameter that has a gradient, at learning rate `lr` and first-moment decay `beta1`. */
  apply(grads: Record<string, tf.Tensor>, lr: number, beta1: number): void {
    this.step += 1;
    const correction1 = 1 - beta1 ** this.step;
    const correction2Sqrt = Math.sqrt(1 - this.beta2 ** this.step);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const m = this.firstMoments.get(name)!;
        const v = this.secondMoments.get(name)!;
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(this.beta2).add(g.square().mul(1 - this.beta2)));
        const denominator = v.sqrt().div(correction2Sqrt).add(this.eps);
        p.assign(p.sub(m.div(denominator).mul(lr / correction1)));
      }
    });
  }

  /**
   * Forgets both moments of some rows of a 2-D parameter: rows the trainer has just set anew (a
   * restarted code), which stale momentum would otherwise pull back where they were.
   */
  resetRows(name: string, rows: readonly number[]): void {
    const m = this.firstMoments.get(name)!;
    const keep = new Float32Array(m.shape[0]).fill(1);
    for (const row of rows) keep[row] = 0;
    tf.tidy(() => {
      const mask = tf.tensor2d(keep, [keep.length, 1]);
      for (const moments of [m, this.secondMoments.get(name)!]) moments.assign(moments.mul(mask));
    });
  }

  /** The moments by parameter name, as `exp_avg.<name>` and `exp_avg_sq.<name>` (PyTorch's state keys). */
  state(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, m] of this.firstMoments) out.set(`exp_avg.${name}`, m);
    for (const [name, v] of this.secondMoments) out.set(`exp_avg_sq.${name}`, v);
    return out;
  }

  loadState(step: number, values: Map<string, Float32Array>): void {
    for (const [key, variable] of this.state()) {
      const data = values.get(key);
      if (!data || data.length !== variable.size) throw new Error(`optimiser state lacks ${key} or has the wrong size`);
      variable.assign(tf.tensor(data, variable.shape));
    }
    this.step = step;
  }

  dispose(): void {
    for (const v of this.state().values()) v.dispose();
  }
}
