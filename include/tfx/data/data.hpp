#pragma once
// tfx::data: input pipelines, as tf.data. Sources (from_tensor_slices, from_csv, from_npy), the
// chained stages (map filter shuffle batch repeat take skip cache prefetch enumerate) and zip.
// See docs/data.md.
#include "dataset.hpp"
#include "map.hpp"
#include "filter.hpp"
#include "shuffle.hpp"
#include "batch.hpp"
#include "repeat.hpp"
#include "take.hpp"
#include "skip.hpp"
#include "shard.hpp"
#include "cache.hpp"
#include "prefetch.hpp"
#include "zip.hpp"
#include "enumerate.hpp"
#include "tensor_slices.hpp"
#include "csv.hpp"
#include "npy.hpp"
