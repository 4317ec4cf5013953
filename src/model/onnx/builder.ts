import type { Attribute, Graph, Node, Tensor, ValueInfo } from './proto.js';

/** Attribute constructors, so that an int and a float attribute cannot be confused. */
export const attr = {
  int: (value: number): Attribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attribute => ({ kind: 'ints', value }),
  float: (value: number): Attribute => ({ kind: 'float', value }),
  string: (value: string): Attribute => ({ kind: 'string', value }),
};

/**
 * Collects nodes and initializers of one ONNX graph, naming every value uniquely,
 * so that graph code reads as a chain of operations on value names.
 */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly used = new Set<string>();

  input(info: ValueInfo): string {
    this.inputs.push(info);
    return this.claim(info.name);
  }

  /** Declares `value` a graph output named `info.name`. */
  output(value: string, info: ValueInfo): void {
    this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [this.claim(info.name)], name: info.name });
    this.outputs.push(info);
  }

  constant(hint: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const name = this.unique(hint);
    this.initializers.push({ name, type: data instanceof Float32Array ? 'float' : 'int64', dims, data });
    return name;
  }

  /** An int64 vector constant, the type shape-like operands (Reshape, Pad, axes) take. */
  ints(hint: string, values: readonly number[]): string {
    return this.constant(hint, [values.length], BigInt64Array.from(values, BigInt));
  }

  scalar(hint: string, value: number): string {
    return this.constant(hint, [], Float32Array.of(value));
  }

  /** Adds one node and returns the name of its (first) output. */
  op(opType: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, output = opType.toLowerCase()): string {
    const name = this.unique(output);
    this.nodes.push({ opType, inputs, outputs: [name], name, attributes });
    return name;
  }

  graph(name: string): Graph {
    return { name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  private unique(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    return this.claim(name);
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`duplicate ONNX value name ${name}`);
    this.used.add(name);
    return name;
  }
}
