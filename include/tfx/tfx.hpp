#pragma once
// tfx: TensorFlow 2's way of working in C++20, with the graph built by the compiler.
#include "core/config.hpp"
#include "core/errors.hpp"
#include "core/shape.hpp"
#include "core/tensor.hpp"
#include "expr/node.hpp"
#include "expr/ops.hpp"
#include "expr/elementwise.hpp"
#include "eval/evaluator.hpp"
#include "eval/assign.hpp"
#include "expr/reduce.hpp"
#include "expr/permute.hpp"
#include "expr/matmul.hpp"
