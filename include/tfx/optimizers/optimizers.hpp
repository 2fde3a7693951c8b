#pragma once
// Keras-style optimizers (tfx::optimizers) and learning-rate schedules (tfx::optimizers::schedules).
// Each optimizer is an aggregate of options (designated initializers:
// optimizers::adam{.learning_rate = 1e-3f}) followed by its state; apply_gradients(grads, vars)
// updates every variable in one fused SIMD pass. See docs/optimizers.md.
#include "adagrad.hpp"
#include "adam.hpp"
#include "learning_rate.hpp"
#include "rmsprop.hpp"
#include "schedules.hpp"
#include "sgd.hpp"
