/**
 * A functional network cut in two at a layer: the part below it (frozen, run once per image and cached) and the
 * part from it on (trained), as two models that share the network's layers and weights. OML fine-tunes the top of
 * a pretrained backbone; computing the frozen bottom once is what makes that affordable on a CPU.
 */
import * as tf from '@tensorflow/tfjs';

/** The tfjs internals a re-application reads (not in its typings). */
interface GraphNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
  callArgs?: Record<string, unknown>;
}
type GraphLayer = tf.layers.Layer & { inboundNodes: GraphNode[] };

export interface NetworkCut {
  /** network input → the one tensor that crosses the cut. */
  lower: tf.LayersModel;
  /** that tensor → the network's output, through the same layer objects (weights shared with the network). */
  upper: tf.LayersModel;
  /** The crossing tensor's shape per item (the cache's unit). */
  itemShape: number[];
}

/** The graph node that built `network` (a freshly loaded network's layers have exactly this one). */
const nodeOf = (layer: tf.layers.Layer): GraphNode => {
  const nodes = (layer as GraphLayer).inboundNodes;
  if (nodes.length === 0) throw new Error(`layer "${layer.name}" is not connected`);
  return nodes[0]!;
};

/** Tensors produced below index `from` and read at or above it: what the upper part needs from the lower. */
function crossing(layers: tf.layers.Layer[], from: number): tf.SymbolicTensor[] {
  const below = new Set(layers.slice(0, from));
  const seen = new Map<number, tf.SymbolicTensor>();
  for (const layer of layers.slice(from)) {
    if (layer.getClassName() === 'InputLayer') continue;
    for (const t of nodeOf(layer).inputTensors) if (below.has(t.sourceLayer)) seen.set(t.id, t);
  }
  return [...seen.values()];
}

/** Layer names where a network can be cut: exactly one tensor crosses, and it is a layer's whole output. */
export function cutPoints(network: tf.LayersModel): string[] {
  const layers = network.layers;
  return layers.flatMap((l, i) => (i > 0 && l.getClassName() !== 'InputLayer' && crossing(layers, i).length === 1 ? [l.name] : []));
}

/**
 * Cuts `network` (single input, single output) before layer `from`. Throws, naming the layers where it can be cut,
 * when more than one tensor crosses there (a skip connection spans the cut).
 */
export function cutAt(network: tf.LayersModel, from: string, label = network.name): NetworkCut {
  const layers = network.layers;
  const at = layers.findIndex((l) => l.name === from);
  if (at <= 0) throw new Error(`"${from}" is not a layer after the input of ${label}`);
  const crossed = crossing(layers, at);
  if (crossed.length !== 1) {
    const near = cutPoints(network);
    const around = near.filter((n) => Math.abs(layers.findIndex((l) => l.name === n) - at) <= 12);
    throw new Error(
      `${label} cannot be cut at "${from}": ${crossed.length} tensors cross there (${crossed
        .map((t) => t.sourceLayer.name)
        .join(
          ', ',
        )}; a skip connection spans it). Layers where one tensor crosses nearby: ${(around.length ? around : near.slice(-6)).join(', ')}`,
    );
  }
  const cut = crossed[0]!;
  const itemShape = cut.shape.slice(1) as number[];
  const input = tf.input({ shape: itemShape, name: `${network.name}_cut_input` });
  const mapped = new Map<number, tf.SymbolicTensor>([[cut.id, input]]);
  for (const layer of layers.slice(at)) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = nodeOf(layer);
    const ins = node.inputTensors.map((t) => {
      const m = mapped.get(t.id);
      if (!m) throw new Error(`${network.name}: layer "${layer.name}" reads "${t.sourceLayer.name}", which is not above the cut`);
      return m;
    });
    const out = layer.apply(ins.length === 1 ? ins[0]! : ins, node.callArgs as tf.serialization.ConfigDict) as
      | tf.SymbolicTensor
      | tf.SymbolicTensor[];
    const outs = Array.isArray(out) ? out : [out];
    for (const [j, t] of node.outputTensors.entries()) mapped.set(t.id, outs[j]!);
  }
  const output = mapped.get(network.outputs[0]!.id);
  if (!output) throw new Error(`${network.name}: its output does not depend on "${from}"`);
  return {
    lower: tf.model({ inputs: network.inputs, outputs: cut, name: `${network.name}_below_${from}` }),
    upper: tf.model({ inputs: input, outputs: output, name: `${network.name}_from_${from}` }),
    itemShape,
  };
}
