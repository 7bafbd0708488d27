import type { CriterionConfig, MinerConfig } from '../../../shared/schemas/config';
export { createSampler } from '../samplers/create';
import { AllTripletsMiner } from '../miners/all-triplets';
import { HardTripletsMiner, NHardTripletsMiner } from '../miners/hard-triplets';
import { MinerWithBank, TripletMinerWithMemory } from '../miners/bank';
import type { TripletMiner } from '../interfaces/miners';
import type { Criterion } from '../interfaces/criterions';
import { TripletLossWithMiner } from '../losses/triplet';
import { ArcFaceLoss } from '../losses/arcface';
import { SurrogatePrecision } from '../losses/surrogate-precision';

/** OML's registries: `{name, args}` config blocks → objects (samplers: `samplers/create.ts`). */

export function createMiner(cfg: MinerConfig): TripletMiner {
  switch (cfg.name) {
    case 'all_triplets':
      return new AllTripletsMiner(cfg.args.max_output_triplets);
    case 'hard_triplets':
      return new HardTripletsMiner();
    case 'n_hard_triplets':
      return new NHardTripletsMiner(cfg.args.n_positive, cfg.args.n_negative);
    case 'miner_with_bank':
      return new MinerWithBank(cfg.args.bank_size_in_batches, new NHardTripletsMiner(cfg.args.n_positive, cfg.args.n_negative));
    case 'triplets_with_memory':
      return new TripletMinerWithMemory(cfg.args.bank_size_in_batches, cfg.args.tri_expand_k);
  }
}

export function createCriterion(
  cfg: CriterionConfig,
  embDim: number,
  numClasses: number,
  label2category: Map<number, string>,
  seed: number,
): Criterion {
  switch (cfg.name) {
    case 'triplet_with_miner':
      return new TripletLossWithMiner({ margin: cfg.args.margin, reduction: cfg.args.reduction }, createMiner(cfg.args.miner), seed);
    case 'arcface':
      return new ArcFaceLoss({
        inFeatures: embDim,
        numClasses,
        m: cfg.args.m,
        s: cfg.args.s,
        smoothingEpsilon: cfg.args.smoothing_epsilon,
        label2category: cfg.args.use_categories ? label2category : undefined,
        reduction: cfg.args.reduction,
        seed,
      });
    case 'surrogate_precision':
      return new SurrogatePrecision({
        k: cfg.args.k,
        temperature1: cfg.args.temperature1,
        temperature2: cfg.args.temperature2,
        reduction: cfg.args.reduction,
      });
  }
}
