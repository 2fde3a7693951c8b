#pragma once
// tfx's Keras side (DESIGN.md §6): layers, models, losses, optimizers, metrics, callbacks, with the
// data pipelines, checkpoints and TensorBoard summaries they use.
#include "tfx.hpp"
#include "data/data.hpp"
#include "io/checkpoint.hpp"
#include "summary/file_writer.hpp"
#include "nn/activations.hpp"
#include "nn/initializers.hpp"
#include "nn/layers.hpp"
#include "nn/recurrent.hpp"
#include "nn/losses.hpp"
#include "metrics/metrics.hpp"
#include "optimizers/optimizers.hpp"
#include "callbacks/callbacks.hpp"
#include "nn/model.hpp"
#include "nn/subclassed.hpp"
