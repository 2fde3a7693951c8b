#pragma once
// Keras metrics (tf.keras.metrics): stateful accumulators over batches of eager tensors.
//   m.update_state(y_true, y_pred)   adds a batch (mean: update_state(value, weight))
//   m.result()                       the metric over everything added since the last reset (0 before)
//   m.reset_state()                  forgets it
//   m.name()                         Keras's name ("accuracy", "auc", ...)
//   m.visit_state(f)                 f(double&) or f(std::vector<double>&) on each state variable:
//                                    all are sums, which data-parallel fit adds across ranks
// update_state checks shapes and values first and changes nothing when it throws; it never
// allocates. The state is public, as Keras exposes its metric variables (read it, do not write it).
//
// y_true and y_pred have the same shape, or one of them has an extra trailing extent 1 ([N] with
// [N, 1]), as Keras's squeeze_or_expand_dimensions allows; sparse_categorical_accuracy takes labels
// of y_pred's shape without the class axis ([N] or [N, 1] for [N, C]).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "../core/tensor.hpp"

namespace tfx::metrics {

// The name of a mean: set like a field, read like Keras's name(): mean{.name = "loss"},
// m.name() == "loss".
struct metric_name {
    std::string value;
    metric_name(const char* s) : value(s) {}
    metric_name(std::string s) : value(std::move(s)) {}
    const std::string& operator()() const { return value; }
};

namespace detail {

template <class X>
constexpr bool tensor_operand() {
    static_assert(is_tensor_v<X>, "tfx: metrics: update_state takes tensors (evaluate an expression first: tensor t = e;)");
    return is_tensor_v<X>;
}

inline std::string number_string(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

template <std::size_t RT, std::size_t RP>
[[noreturn, gnu::cold, gnu::noinline]] void throw_shapes(const char* metric, const dims_t<RT>& t, const dims_t<RP>& p,
                                                         const char* expected) {
    throw shape_error(std::string("tfx: ") + metric + ": y_true of shape " + shape_string(t) +
                      " does not match y_pred of shape " + shape_string(p) + " (" + expected + ")");
}

// Same shape, or one of them with an extra trailing extent 1.
template <std::size_t RT, std::size_t RP>
bool same_elements(const dims_t<RT>& t, const dims_t<RP>& p) {
    if constexpr (RT == RP) {
        return t == p;
    } else if constexpr (RT + 1 == RP || RP + 1 == RT) {
        if constexpr (RT + 1 == RP) {
            if (p[RP - 1] != 1) return false;
        } else {
            if (t[RT - 1] != 1) return false;
        }
        for (std::size_t k = 0; k < (RT < RP ? RT : RP); ++k)
            if (t[k] != p[k]) return false;
        return true;
    } else {
        return false;
    }
}
template <class YT, class YP>
void check_same_elements(const char* metric, const YT& y_true, const YP& y_pred) {
    if (!same_elements(y_true.shape(), y_pred.shape()))
        throw_shapes(metric, y_true.shape(), y_pred.shape(), "expected the same shape, or one of them with an extra trailing 1");
}

// Labels of y_pred's shape without its last (class) axis, possibly with a trailing 1.
template <class YT, class YP>
void check_sparse_labels(const char* metric, const YT& y_true, const YP& y_pred) {
    constexpr std::size_t RT = YT::rank, RP = YP::rank;
    const auto t = y_true.shape();
    const auto p = y_pred.shape();
    bool ok = RT + 1 == RP;
    if constexpr (RT == RP && RT > 0) ok = t[RT - 1] == 1;
    for (std::size_t k = 0; ok && k + 1 < RP; ++k) ok = k < RT && t[k] == p[k];
    if (!ok) throw_shapes(metric, t, p, "expected labels of y_pred's shape without its class axis");
}

// Index of the largest of n values (the first on ties, as tf.argmax).
template <class T>
std::size_t argmax(const T* p, std::size_t n) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < n; ++k)
        if (p[k] > p[best]) best = k;
    return best;
}

// Predictions compared with thresholds must be probabilities (Keras asserts the same).
template <class YP>
void check_probabilities(const char* metric, const YP& y_pred) {
    const auto* p = y_pred.data();
    for (std::size_t i = 0, n = y_pred.size(); i < n; ++i)
        if (!(p[i] >= 0 && p[i] <= 1))
            throw value_error(std::string("tfx: ") + metric + ": prediction " + number_string(double(p[i])) +
                              " at flat index " + std::to_string(i) + " is outside [0, 1] (y_pred of shape " +
                              shape_string(y_pred.shape()) + ")");
}
inline void check_threshold(const char* metric, double threshold) {
    if (!(threshold >= 0 && threshold <= 1))
        throw value_error(std::string("tfx: ") + metric + ": threshold " + number_string(threshold) + " is outside [0, 1]");
}

inline double ratio(double a, double b) { return b != 0 ? a / b : 0.0; }  // tf.math.divide_no_nan

inline std::vector<double> auc_buckets(int num_thresholds) {
    if (num_thresholds < 2)
        throw value_error("tfx: auc: num_thresholds must be > 1, got " + std::to_string(num_thresholds));
    return std::vector<double>(std::size_t(num_thresholds), 0.0);
}

}  // namespace detail

// The weighted mean of values: result() = sum(value * weight) / sum(weight).
struct mean {
    metric_name name{"mean"};
    double total = 0, count = 0;

    void update_state(double value, double weight = 1) {
        total += value * weight;
        count += weight;
    }
    // Every element of a tensor is one value (a rank-0 tensor, such as a loss, is one).
    template <class T, index_t... E>
    void update_state(const tensor<T, E...>& values, double weight = 1) {
        double s = 0;
        for (const T& v : values) s += double(v);
        total += s * weight;
        count += double(values.size()) * weight;
    }
    double result() const { return detail::ratio(total, count); }
    void reset_state() { total = count = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(total);
        f(count);
    }
};

// Exact matches: the fraction of elements where y_true == y_pred (compared as numbers, as Keras
// compares both cast to floats).
struct accuracy {
    double total = 0, count = 0;

    std::string name() const { return "accuracy"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            detail::check_same_elements("accuracy", y_true, y_pred);
            const auto* t = y_true.data();
            const auto* p = y_pred.data();
            const std::size_t n = y_true.size();
            std::size_t hits = 0;
            for (std::size_t i = 0; i < n; ++i) hits += double(t[i]) == double(p[i]);
            total += double(hits);
            count += double(n);
        }
    }
    double result() const { return detail::ratio(total, count); }
    void reset_state() { total = count = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(total);
        f(count);
    }
};

// The fraction of elements where (y_pred > threshold) equals y_true (1 or 0).
struct binary_accuracy {
    double threshold = 0.5;
    double total = 0, count = 0;

    std::string name() const { return "binary_accuracy"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            using P = typename YP::value_type;
            detail::check_same_elements("binary_accuracy", y_true, y_pred);
            const P th = P(threshold);
            const auto* t = y_true.data();
            const auto* p = y_pred.data();
            const std::size_t n = y_true.size();
            std::size_t hits = 0;
            for (std::size_t i = 0; i < n; ++i) hits += double(t[i]) == (p[i] > th ? 1.0 : 0.0);
            total += double(hits);
            count += double(n);
        }
    }
    double result() const { return detail::ratio(total, count); }
    void reset_state() { total = count = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(total);
        f(count);
    }
};

// The fraction of samples whose integer label equals the argmax of y_pred over its last axis.
// Labels outside [0, C) never match (as in Keras).
struct sparse_categorical_accuracy {
    double total = 0, count = 0;

    std::string name() const { return "sparse_categorical_accuracy"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            static_assert(YP::rank >= 2,
                          "tfx: sparse_categorical_accuracy: y_pred needs a class axis, shape [N, C]");
            if constexpr (YP::rank >= 2) {
                detail::check_sparse_labels("sparse_categorical_accuracy", y_true, y_pred);
                const std::size_t classes = y_pred.shape()[YP::rank - 1];
                const std::size_t n = y_true.size();
                const auto* t = y_true.data();
                const auto* p = y_pred.data();
                std::size_t hits = 0;
                if (classes > 0)
                    for (std::size_t i = 0; i < n; ++i)
                        hits += double(t[i]) == double(detail::argmax(p + i * classes, classes));
                total += double(hits);
                count += double(n);
            }
        }
    }
    double result() const { return detail::ratio(total, count); }
    void reset_state() { total = count = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(total);
        f(count);
    }
};

// The fraction of samples where argmax(y_true) == argmax(y_pred) over the last axis (one-hot
// y_true of y_pred's shape).
struct categorical_accuracy {
    double total = 0, count = 0;

    std::string name() const { return "categorical_accuracy"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            static_assert(YP::rank >= 1 && YT::rank == YP::rank,
                          "tfx: categorical_accuracy: y_true (one-hot) and y_pred must have the same rank, [N, C]");
            if constexpr (YP::rank >= 1 && YT::rank == YP::rank) {
                if (y_true.shape() != y_pred.shape())
                    detail::throw_shapes("categorical_accuracy", y_true.shape(), y_pred.shape(), "expected the same shape");
                const std::size_t classes = y_pred.shape()[YP::rank - 1];
                const std::size_t n = classes ? y_pred.size() / classes : 0;
                const auto* t = y_true.data();
                const auto* p = y_pred.data();
                std::size_t hits = 0;
                for (std::size_t i = 0; i < n; ++i)
                    hits += detail::argmax(t + i * classes, classes) == detail::argmax(p + i * classes, classes);
                total += double(hits);
                count += double(n);
            }
        }
    }
    double result() const { return detail::ratio(total, count); }
    void reset_state() { total = count = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(total);
        f(count);
    }
};

// Precision = TP / (TP + FP) and recall = TP / (TP + FN) at one threshold: an element is predicted
// positive when y_pred > threshold, and is a positive when y_true != 0 (Keras casts labels to bool).
// Predictions must be in [0, 1] and the threshold in [0, 1], as Keras asserts.
struct precision {
    double threshold = 0.5;
    double true_positives = 0, false_positives = 0;

    std::string name() const { return "precision"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            using P = typename YP::value_type;
            detail::check_same_elements("precision", y_true, y_pred);
            detail::check_threshold("precision", threshold);
            detail::check_probabilities("precision", y_pred);
            const P th = P(threshold);
            const auto* t = y_true.data();
            const auto* p = y_pred.data();
            std::size_t tp = 0, fp = 0;
            for (std::size_t i = 0, n = y_true.size(); i < n; ++i)
                if (p[i] > th) (t[i] != 0 ? tp : fp) += 1;
            true_positives += double(tp);
            false_positives += double(fp);
        }
    }
    double result() const { return detail::ratio(true_positives, true_positives + false_positives); }
    void reset_state() { true_positives = false_positives = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(true_positives);
        f(false_positives);
    }
};

struct recall {
    double threshold = 0.5;
    double true_positives = 0, false_negatives = 0;

    std::string name() const { return "recall"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            using P = typename YP::value_type;
            detail::check_same_elements("recall", y_true, y_pred);
            detail::check_threshold("recall", threshold);
            detail::check_probabilities("recall", y_pred);
            const P th = P(threshold);
            const auto* t = y_true.data();
            const auto* p = y_pred.data();
            std::size_t tp = 0, fn = 0;
            for (std::size_t i = 0, n = y_true.size(); i < n; ++i)
                if (t[i] != 0) (p[i] > th ? tp : fn) += 1;
            true_positives += double(tp);
            false_negatives += double(fn);
        }
    }
    double result() const { return detail::ratio(true_positives, true_positives + false_negatives); }
    void reset_state() { true_positives = false_negatives = 0; }
    template <class F>
    void visit_state(F&& f) {
        f(true_positives);
        f(false_negatives);
    }
};

// Area under the ROC curve, as tf.keras.metrics.AUC() (curve='ROC',
// summation_method='interpolation'): num_thresholds thresholds t_i = i / (n - 1), the first
// lowered to -eps and the last raised to 1 + eps so that 0 and 1 fall inside; at each, the true
// positive rate TP/(TP+FN) and false positive rate FP/(FP+TN) over everything seen (y_pred > t_i
// predicts positive, y_true != 0 is positive); the area is the trapezoid sum over consecutive
// thresholds. Predictions must be in [0, 1].
//
// As Keras does for evenly spaced thresholds, each prediction is put in its bucket
// b = max(ceil(p (n - 1)) - 1, 0) (the number of thresholds below p, minus one), computed in
// y_pred's element type; TP(t_i) is then the number of positives in buckets >= i. The state is the
// count of positives and negatives per bucket: update_state is O(batch), result O(num_thresholds).
struct auc {
    int num_thresholds = 200;
    std::vector<double> positives = detail::auc_buckets(num_thresholds);  // per bucket
    std::vector<double> negatives = detail::auc_buckets(num_thresholds);

    std::string name() const { return "auc"; }
    template <class YT, class YP>
    void update_state(const YT& y_true, const YP& y_pred) {
        if constexpr (detail::tensor_operand<YT>() && detail::tensor_operand<YP>()) {
            using P = typename YP::value_type;
            detail::check_same_elements("auc", y_true, y_pred);
            detail::check_probabilities("auc", y_pred);
            if (positives.size() != std::size_t(num_thresholds) || negatives.size() != positives.size()) {
                // num_thresholds was changed after construction: start again with that many.
                positives = detail::auc_buckets(num_thresholds);
                negatives = detail::auc_buckets(num_thresholds);
            }
            const P scale = P(num_thresholds - 1);
            const auto* t = y_true.data();
            const auto* p = y_pred.data();
            for (std::size_t i = 0, n = y_true.size(); i < n; ++i) {
                const P b = std::ceil(p[i] * scale) - P(1);
                const std::size_t k = b > P(0) ? std::size_t(b) : 0;
                (t[i] != 0 ? positives : negatives)[k] += 1;
            }
        }
    }
    // Trapezoids between consecutive thresholds, walking from the highest threshold down with
    // running sums (TP(t_i) = TP(t_{i+1}) + positives[i]).
    double result() const {
        const std::size_t n = positives.size();
        double all_pos = 0, all_neg = 0;
        for (std::size_t i = 0; i < n; ++i) {
            all_pos += positives[i];
            all_neg += negatives[i];
        }
        double tp = positives[n - 1], fp = negatives[n - 1], area = 0;
        double tpr = detail::ratio(tp, all_pos), fpr = detail::ratio(fp, all_neg);
        for (std::size_t i = n - 1; i-- > 0;) {
            tp += positives[i];
            fp += negatives[i];
            const double tpr_i = detail::ratio(tp, all_pos), fpr_i = detail::ratio(fp, all_neg);
            area += (fpr_i - fpr) * (tpr_i + tpr) / 2;
            tpr = tpr_i;
            fpr = fpr_i;
        }
        return area;
    }
    void reset_state() {
        std::fill(positives.begin(), positives.end(), 0.0);
        std::fill(negatives.begin(), negatives.end(), 0.0);
    }
    template <class F>
    void visit_state(F&& f) {
        f(positives);
        f(negatives);
    }
};

}  // namespace tfx::metrics
