/**
 * `@acme/pix2pix`: the platform-neutral core. Building blocks of pix2pix (Isola et al., CVPR 2017) on
 * TensorFlow.js: generators, PatchGAN discriminators, losses and a backend-agnostic Trainer.
 *
 * This entry imports no backend and touches no file system; pick a backend in your app
 * (`@tensorflow/tfjs-backend-webgl`, `-webgpu`, `-wasm`, `-cpu`, or tfjs-node) and it runs there.
 * Node helpers (files, image decoding, CLI) live in `@acme/pix2pix/node`; wasm training kernels in
 * `@acme/pix2pix/wasm`.
 *
 * @packageDocumentation
 */

// --- generator ---------------------------------------------------------------------------------
export { unetGenerator } from './generator/unet_generator.js';
export { encoderDecoderGenerator } from './generator/encoder_decoder_generator.js';
export { unetNumDowns, DROPOUT_PLACEMENTS } from './generator/builder.js';
export type { GeneratorOptions, DropoutPlacement } from './generator/builder.js';
export { generatorDivisor, checkGeneratorInput, nearestValidSizes } from './generator/divisor.js';
export { translateImage, DEFAULT_MAX_PIXELS } from './generator/translate_image.js';
export type { TranslateImageOptions } from './generator/translate_image.js';
export { resnetGenerator, RESNET_PADDINGS, RESNET_SIZE_MULTIPLE } from './generator/resnet_generator.js';
export type { ResnetGeneratorOptions, ResnetPadding } from './generator/resnet_generator.js';
export { generate, GENERATION_MODES } from './generator/generate.js';
export type { GenerationMode, GenerationOptions } from './generator/generate.js';
export { tfjsEngine, checkEngineMode, ENGINE_NAMES, ENGINE_MODES, DEFAULT_ENGINE } from './generator/engine.js';
export type { EngineName, GeneratorEngine, EngineRunOptions } from './generator/engine.js';

// --- discriminator -----------------------------------------------------------------------------
export { patchDiscriminator } from './discriminator/patch_discriminator.js';
export { RECEPTIVE_FIELDS } from './discriminator/options.js';
export type { PatchDiscriminatorOptions, ReceptiveField } from './discriminator/options.js';
export { discriminatorLayerCount, discriminatorOutputShape, receptiveFieldOf } from './discriminator/geometry.js';

// --- layers ------------------------------------------------------------------------------------
export { InstanceNormalization } from './layers/instance_norm.js';
export type { InstanceNormalizationArgs } from './layers/instance_norm.js';
export { SeededDropout } from './layers/seeded_dropout.js';
export type { SeededDropoutArgs } from './layers/seeded_dropout.js';
export { NORM_KINDS, BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM } from './layers/norm.js';
export { ReflectionPadding2D, ReplicationPadding2D } from './layers/padding.js';
export type { SpatialPaddingArgs } from './layers/padding.js';
export { LeadingCrop2D } from './layers/crop.js';
export type { LeadingCrop2DArgs } from './layers/crop.js';
export { SpatialSizeCheck } from './layers/size_check.js';
export type { SpatialSizeCheckArgs } from './layers/size_check.js';
export { INIT_TYPES, DEFAULT_INIT_TYPE, INIT_STDDEV, ReferenceInitializer } from './layers/init.js';
export type { InitType, ReferenceInitializerArgs } from './layers/init.js';
export type { NormKind } from './layers/norm.js';

// --- losses ------------------------------------------------------------------------------------
export type { LossParts, ObjectiveArgs, Objective } from './losses/types.js';
export { ganLoss, GAN_MODES, type GanMode } from './losses/gan_loss.js';
export { l1Loss } from './losses/l1_loss.js';
export { l2Loss } from './losses/l2_loss.js';
export { gradientPenalty, type GradientPenaltyOptions } from './losses/gradient_penalty.js';
export {
  compositeLoss,
  type CompositeLossOptions,
  type CompositeGan,
  type CompositeReconstruction,
} from './losses/composite_loss.js';
export { registerSecondOrderGradients } from './gradients/register_second_order_gradients.js';
export { conv2DBackpropFilterGradConfig } from './gradients/conv2d_backprop_filter_grad.js';
export { comparisonGradConfigs, ZERO_GRADIENT_KERNELS } from './gradients/comparison_grads.js';

// --- trainer -----------------------------------------------------------------------------------
export { Trainer, NonFiniteLossError, NonFiniteWeightError } from './trainer/trainer.js';
export type {
  TrainerOptions,
  StepStats,
  EpochStats,
  FitOptions,
  FitResult,
  GenerateOptions,
  TrainerLoadOptions,
  CheckpointTarget,
} from './trainer/trainer.js';
export type { TrainingBatch, TrainingData, DatasetLike, DatasetIterator, EpochSource } from './trainer/data.js';
export {
  SCHEDULE_POLICIES,
  SCHEDULE_UNITS,
  scheduleFactor,
  learningRateFactor,
  resolveSchedule,
  linearSchedule,
  stepSchedule,
  cosineSchedule,
  constantSchedule,
} from './trainer/schedules/index.js';
export type {
  SchedulePolicy,
  ScheduleOptions,
  ResolvedSchedule,
  SchedulePlan,
  ScheduleFn,
  StepScheduleOptions,
  ScheduleUnit,
  ScheduleClock,
  ScheduleState,
  CustomSchedule,
  PlateauScheduleOptions,
  PlateauState,
} from './trainer/schedules/index.js';
export { CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './trainer/checkpoint.js';
export type { TrainerCheckpointState, OptimizerCheckpointState, CheckpointOptimizers } from './trainer/checkpoint.js';

// --- data --------------------------------------------------------------------------------------
export { facadeSample } from './data/facades/sample.js';
export type { FacadeSample, FacadeSampleOptions } from './data/facades/sample.js';
export { FACADE_CLASSES, FACADE_PALETTE, facadeClassId, facadeLabelToRgb, facadeRgbToLabel } from './data/facades/palette.js';
export type { FacadeClass } from './data/facades/palette.js';
export { facadePairs, facadeBatches } from './data/facades/source.js';
export type { FacadePairsOptions, FacadeBatchesOptions } from './data/facades/source.js';
export { pairedBatches, PairedBatches, DIRECTIONS } from './data/batches.js';
export type { Direction, PairBatch, PairedBatchesOptions } from './data/batches.js';
export type { PairSource, ImagePair } from './data/source.js';
export { toRawImage, convertChannels, imageToTensor, tensorToImage, stackChannels, to8Bit } from './data/image.js';
export type { ImageLike, RawImage, ImageChannels } from './data/image.js';
export { splitAB, joinAB } from './data/split.js';
export type { ImagePairHalves } from './data/split.js';
export { canny, CANNY_DEFAULTS } from './data/canny.js';
export type { CannyOptions } from './data/canny.js';
export { rgbToLab, labToRgb, lightnessToGray, D65_WHITE, LAB_SCALE } from './data/lab.js';
export { colorizeImage, labBatchToRgb, rgbTensorToLab, DATASET_MODES, COLORIZATION_CHANNELS } from './data/colorization.js';
export type { DatasetMode, ColorizedImage } from './data/colorization.js';
export { photoPairs, resizeShorterSide, PHOTO_TASKS, PHOTO_PAIR_DEFAULTS } from './data/photo_pairs.js';
export type { PhotoTask, PhotoPairOptions } from './data/photo_pairs.js';
export { Rng, deriveSeed } from './util/random.js';
export { defaultLoadSize, drawJitter, preprocessPair, preprocessPlan, PREPROCESS_MODES } from './data/preprocess.js';
export type { Jitter, PreprocessOptions, PreprocessMode, PreprocessPlan, PreprocessSizes } from './data/preprocess.js';

// --- io (checkpoint formats) -------------------------------------------------------------------
export { importTorchWeights, exportTorchWeights } from './io/torch/weights.js';
export type { ExportTorchWeightsOptions } from './io/torch/weights.js';
export { importTorchCheckpoint, inferTorchArchitecture, TORCH_ARCHS } from './io/torch/checkpoint.js';
export type { TorchArch, TorchArchitecture, ImportTorchCheckpointOptions } from './io/torch/checkpoint.js';
export { describeTorchArchitecture } from './io/torch/architecture.js';
export { TORCH_ARCH_LAYOUTS } from './io/torch/layout.js';
export type { TorchModuleKind, TorchLayoutParams } from './io/torch/layout.js';
export { referenceTrainOptions, formatTrainOpt, parseTrainOpt, referenceTrainCommand, REFERENCE_DEFAULTS } from './io/torch/reference_options.js';
export type { ReferenceOption, HandoffRun, ReferenceLaunch } from './io/torch/reference_options.js';
export { readTorchStateDict } from './io/torch/read.js';
export { TorchFormatError } from './io/torch/errors.js';
export type { TorchTensor } from './io/torch/read.js';
export { writeTorchStateDict } from './io/torch/write.js';
export type { TorchTensorInput, TorchWriteDType, WriteTorchStateDictOptions } from './io/torch/write.js';
export { TORCH_DTYPES } from './io/torch/dtypes.js';
export { exportTfjsGenerator, WEIGHT_QUANTIZATIONS, TFJS_EXPORT_JSON, TFJS_EXPORT_WEIGHTS } from './io/export/tfjs.js';
export type { ExportTfjsOptions, TfjsExport, WeightQuantization } from './io/export/tfjs.js';
export { exportOnnxGenerator, ONNX_OPSET, ONNX_IR_VERSION, ONNX_IO_NAMES, ONNX_SUPPORTED_LAYERS } from './io/onnx/export.js';
export type { ExportOnnxOptions } from './io/onnx/export.js';
export type { TorchDType, TorchDTypeInfo, TorchTensorData } from './io/torch/dtypes.js';

// --- metrics -----------------------------------------------------------------------------------
export { l1 } from './metrics/l1.js';
export { l2 } from './metrics/l2.js';
export { psnr } from './metrics/psnr.js';
export { ssim, ssimWindowSize, SSIM_VARIANTS } from './metrics/ssim.js';
export type { SsimOptions, SsimVariant } from './metrics/ssim.js';
export type { PixelRange, ImageMetricOptions } from './metrics/range.js';
export { imageMetrics } from './metrics/image_metrics.js';
export type { ImageMetrics, ImageMetricsOptions, MetricValues } from './metrics/image_metrics.js';
export { confusionMatrix, addToConfusionMatrix } from './metrics/confusion_matrix.js';
export type { ConfusionMatrix, ConfusionMatrixOptions } from './metrics/confusion_matrix.js';
export { segmentationScores } from './metrics/segmentation_scores.js';
export type { SegmentationScores } from './metrics/segmentation_scores.js';
export { segmentationNetwork, predictLabels } from './metrics/segmentation_network.js';
export type { SegmentationNetworkOptions } from './metrics/segmentation_network.js';
export { trainSegmentationNetwork } from './metrics/train_segmentation_network.js';
export type { SegmentationData, TrainSegmentationOptions, TrainSegmentationResult } from './metrics/train_segmentation_network.js';
export { segmentationScore } from './metrics/segmentation_score.js';
export type { SegmentationScoreOptions } from './metrics/segmentation_score.js';
export { facadeTensors, trainFacadeSegmenter } from './metrics/facade_segmenter.js';
export type { FacadeSplitOptions, FacadeTensors, FacadeSegmenterOptions } from './metrics/facade_segmenter.js';
export { evaluate, imagePairMetrics, summarizeMetrics, EVALUATION_METRICS, EVALUATION_METRIC_CONVENTIONS } from './metrics/evaluate.js';
export type { EvaluateOptions, EvaluationResult, EvaluationSource, EvaluatedImage, EvaluationMetric, MetricSet } from './metrics/evaluate.js';

