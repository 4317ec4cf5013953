/**
 * A minimal writer of ONNX's protobuf messages (onnx/onnx.proto): ModelProto, GraphProto,
 * NodeProto, AttributeProto, TensorProto and ValueInfoProto, only the fields boiler's graphs use.
 * Written with the project's small protobuf writer (src/util/protobuf.ts) rather than a protobuf
 * library and the ONNX schema.
 */

import { ProtoWriter } from '../../util/protobuf.js';

export type ElementType = 'float' | 'int64';

/** TensorProto.DataType numbers. */
const DATA_TYPE: Record<ElementType, number> = { float: 1, int64: 7 };

export interface Tensor {
  name: string;
  type: ElementType;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: Tensor };

export interface Node {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  attributes?: Readonly<Record<string, Attribute>>;
}

/** A graph input or output; a string dimension is symbolic (e.g. the batch size). */
export interface ValueInfo {
  name: string;
  type: ElementType;
  shape: readonly (number | string)[];
}

export interface Graph {
  name: string;
  nodes: readonly Node[];
  initializers: readonly Tensor[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
}

export interface Model {
  /** The default operator set's version. */
  opset: number;
  producer: string;
  graph: Graph;
  /** Shown by tools such as Netron; onnxruntime exposes it as the model's custom metadata. */
  metadata?: Readonly<Record<string, string>>;
}

/** IR version 8 (ONNX 1.10): understood by every onnxruntime since 1.10. */
const IR_VERSION = 8;

function tensorMessage(tensor: Tensor): ProtoWriter {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new RangeError(`tensor ${tensor.name}: dims ${tensor.dims.join('×')} do not match ${tensor.data.length} values`);
  }
  const writer = new ProtoWriter();
  if (tensor.dims.length > 0) writer.packedInts(1, tensor.dims);
  writer.int(2, DATA_TYPE[tensor.type]).string(8, tensor.name);
  // raw_data is little-endian, like typed arrays on every platform Node runs on.
  return writer.bytes(9, new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
}

/** AttributeProto.AttributeType numbers. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;

function attributeMessage(name: string, attribute: Attribute): ProtoWriter {
  const writer = new ProtoWriter().string(1, name).int(20, ATTRIBUTE_TYPE[attribute.kind]);
  switch (attribute.kind) {
    case 'float':
      return writer.float(2, attribute.value);
    case 'int':
      return writer.int(3, attribute.value);
    case 'string':
      return writer.string(4, attribute.value);
    case 'tensor':
      return writer.message(5, tensorMessage(attribute.value));
    case 'ints':
      return writer.packedInts(8, attribute.value);
  }
}

function nodeMessage(node: Node): ProtoWriter {
  const writer = new ProtoWriter();
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) writer.message(5, attributeMessage(name, attribute));
  return writer;
}

function valueInfoMessage(info: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const dimension = new ProtoWriter();
    if (typeof dim === 'number') dimension.int(1, dim);
    else dimension.string(2, dim);
    shape.message(1, dimension);
  }
  const tensorType = new ProtoWriter().int(1, DATA_TYPE[info.type]).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

function graphMessage(graph: Graph): ProtoWriter {
  const writer = new ProtoWriter();
  for (const node of graph.nodes) writer.message(1, nodeMessage(node));
  writer.string(2, graph.name);
  for (const tensor of graph.initializers) writer.message(5, tensorMessage(tensor));
  for (const input of graph.inputs) writer.message(11, valueInfoMessage(input));
  for (const output of graph.outputs) writer.message(12, valueInfoMessage(output));
  return writer;
}

/** Serialises a model to the bytes of an .onnx file. */
export function encodeModel(model: Model): Uint8Array {
  const writer = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, model.producer)
    .message(7, graphMessage(model.graph))
    .message(8, new ProtoWriter().string(1, '').int(2, model.opset));
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    writer.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return writer.finish();
}
