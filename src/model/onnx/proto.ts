/**
 * ONNX models in the official schema (onnx/onnx.proto, compiled for protobufjs by the onnx-proto
 * package): boiler's graphs are described with the small types below and encoded as a ModelProto.
 */

import { createRequire } from 'node:module';
import type { onnx } from 'onnx-proto';
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

function tensorProto(tensor: Tensor): onnx.ITensorProto {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (count !== tensor.data.length) {
    throw new RangeError(`tensor ${tensor.name}: dims ${tensor.dims.join('×')} do not match ${tensor.data.length} values`);
  }
  // raw_data is little-endian, like typed arrays on every platform Node runs on.
  const rawData = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return { dims: [...tensor.dims], dataType: DATA_TYPE[tensor.type], name: tensor.name, rawData };
}

/** AttributeProto.AttributeType numbers. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, ints: 7 } as const;

function attributeProto(name: string, attribute: Attribute): onnx.IAttributeProto {
  const proto = { name, type: ATTRIBUTE_TYPE[attribute.kind] };
  switch (attribute.kind) {
    case 'float':
      return { ...proto, f: attribute.value };
    case 'int':
      return { ...proto, i: attribute.value };
    case 'string':
      return { ...proto, s: new TextEncoder().encode(attribute.value) };
    case 'tensor':
      return { ...proto, t: tensorProto(attribute.value) };
    case 'ints':
      return { ...proto, ints: [...attribute.value] };
  }
}

function valueInfoProto(info: ValueInfo): onnx.IValueInfoProto {
  const dim = info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: info.name, type: { tensorType: { elemType: DATA_TYPE[info.type], shape: { dim } } } };
}

function graphProto(graph: Graph): onnx.IGraphProto {
  return {
    node: graph.nodes.map((node) => ({
      input: [...node.inputs],
      output: [...node.outputs],
      ...(node.name ? { name: node.name } : {}),
      opType: node.opType,
      attribute: Object.entries(node.attributes ?? {}).map(([name, attribute]) => attributeProto(name, attribute)),
    })),
    name: graph.name,
    initializer: graph.initializers.map(tensorProto),
    input: graph.inputs.map(valueInfoProto),
    output: graph.outputs.map(valueInfoProto),
  };
}

/** Serialises a model to the bytes of an .onnx file. onnx-proto is loaded here, not when boiler starts. */
export function encodeModel(model: Model): Uint8Array {
  const { onnx: schema } = createRequire(import.meta.url)('onnx-proto') as typeof import('onnx-proto');
  return schema.ModelProto.encode({
    irVersion: IR_VERSION,
    producerName: model.producer,
    graph: graphProto(model.graph),
    opsetImport: [{ domain: '', version: model.opset }],
    metadataProps: Object.entries(model.metadata ?? {}).map(([key, value]) => ({ key, value })),
  }).finish();
}
