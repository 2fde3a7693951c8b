#pragma once
// Keras losses (tf.keras.losses) as expressions. A loss is a small struct of options; calling it
// with (y_true, y_pred) returns a rank-0 expression, so the same call computes a value eagerly
// (`tensor<float> l = loss(y, p);`) and builds a differentiable graph inside tfx::grad,
// value_and_grad and tfx::function, where its operands are symbols. The reduction is Keras's
// default, "sum over batch size": the mean over the batch of the per-sample loss.
//
// Expressions refer to tensor operands (as every tfx expression does): evaluate the loss while its
// tensors are alive.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <type_traits>

#include "../core/errors.hpp"
#include "../core/tensor.hpp"
#include "../expr/elementwise.hpp"
#include "../expr/gather.hpp"
#include "../expr/reduce.hpp"
#include "../expr/reshape.hpp"
#include "../kernels/softmax_xent.hpp"
#include "../autodiff/vjp.hpp"

namespace tfx::losses {

// Keras's backend.epsilon(): probabilities are clipped to [epsilon, 1 - epsilon].
inline constexpr double epsilon = 1e-7;

// ---- compile-time conditions; a failing static_assert names them with the loss and the shapes,
// e.g. 'tfx::losses::shapes_compatible<tfx::losses::mean_squared_error, tfx::shape<-1, 3>,
// tfx::shape<-1, 4> >' evaluates to false.

namespace detail {
constexpr bool extents_agree(index_t a, index_t b) { return a == b || a == dyn || b == dyn; }
constexpr bool last_may_be_one(index_t e) { return e == 1 || e == dyn; }

// y_true and y_pred match when their extents agree, allowing Keras's squeeze_or_expand_dimensions:
// one of them may have an extra trailing axis of extent 1 ([N] with [N, 1]).
template <class ST, class SP>
constexpr bool static_match() {
    constexpr std::size_t RT = ST::rank, RP = SP::rank;
    if constexpr (RT != RP && RT + 1 != RP && RP + 1 != RT) {
        return false;
    } else {
        if constexpr (RT + 1 == RP)
            if (!last_may_be_one(SP::extents[RP - 1])) return false;
        if constexpr (RP + 1 == RT)
            if (!last_may_be_one(ST::extents[RT - 1])) return false;
        for (std::size_t k = 0; k < (RT < RP ? RT : RP); ++k)
            if (!extents_agree(ST::extents[k], SP::extents[k])) return false;
        return true;
    }
}
// Sparse labels: one fewer axis than y_pred (its class axis), or the same rank with a last extent 1.
template <class ST, class SP>
constexpr bool static_match_sparse() {
    constexpr std::size_t RT = ST::rank, RP = SP::rank;
    if constexpr (RP < 1 || (RT + 1 != RP && RT != RP)) {
        return false;
    } else {
        if constexpr (RT == RP)
            if (!last_may_be_one(ST::extents[RT - 1])) return false;
        for (std::size_t k = 0; k + 1 < RP; ++k)
            if (!extents_agree(ST::extents[k], SP::extents[k])) return false;
        return true;
    }
}
}  // namespace detail

template <class Loss, class TrueShape, class PredShape>
inline constexpr bool shapes_compatible = detail::static_match<TrueShape, PredShape>();
template <class Loss, class TrueShape, class PredShape>
inline constexpr bool sparse_shapes_compatible = detail::static_match_sparse<TrueShape, PredShape>();
template <class Loss, class PredShape>
inline constexpr bool has_class_axis = PredShape::rank >= 2;
template <class Loss, class TrueShape, class PredShape>
inline constexpr bool same_rank = TrueShape::rank == PredShape::rank;
template <class Loss, class T>
inline constexpr bool floating_prediction = std::is_floating_point_v<T>;
template <class Loss, class T>
inline constexpr bool numeric_labels = std::is_arithmetic_v<T>;

namespace detail {

template <class X>
using node_of = node_t<const X&>;

// ---- run-time shapes

template <std::size_t RT, std::size_t RP>
bool dims_match(const dims_t<RT>& t, const dims_t<RP>& p) {
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
template <std::size_t RT, std::size_t RP>
bool dims_match_sparse(const dims_t<RT>& t, const dims_t<RP>& p) {
    if constexpr (RT == RP)
        if (t[RT - 1] != 1) return false;
    for (std::size_t k = 0; k + 1 < RP; ++k)
        if (t[k] != p[k]) return false;
    return true;
}

template <std::size_t RT, std::size_t RP>
[[noreturn, gnu::cold, gnu::noinline]] void throw_shapes(const char* loss, const dims_t<RT>& t, const dims_t<RP>& p,
                                                         const char* expected) {
    throw shape_error(std::string("tfx: ") + loss + ": y_true of shape " + shape_string(t) +
                      " does not match y_pred of shape " + shape_string(p) + " (" + expected + ")");
}
inline constexpr const char* same_shape_text = "expected the same shape, or one of them with an extra trailing 1";
inline constexpr const char* sparse_shape_text = "expected labels of y_pred's shape without its class axis";

template <std::size_t RT, std::size_t RP>
void check_dims(const char* loss, const dims_t<RT>& t, const dims_t<RP>& p) {
    if (!dims_match(t, p)) throw_shapes(loss, t, p, same_shape_text);
}
template <std::size_t RT, std::size_t RP>
void check_dims_sparse(const char* loss, const dims_t<RT>& t, const dims_t<RP>& p) {
    if (!dims_match_sparse(t, p)) throw_shapes(loss, t, p, sparse_shape_text);
}

// ---- building blocks

// x in element type T (no node when it already is).
template <class T, class X>
auto as_type(X x) {
    if constexpr (std::is_same_v<typename X::value_type, T>)
        return x;
    else
        return cast<T>(std::move(x));
}

// The static shape of y_true brought to y_pred's rank: a trailing 1 added or dropped.
template <class ST, std::size_t RP, class = std::make_index_sequence<RP>>
struct aligned_shape;
template <class ST, std::size_t RP, std::size_t... K>
struct aligned_shape<ST, RP, std::index_sequence<K...>> {
    using type = shape<(K < ST::rank ? ST::extents[K < ST::rank ? K : 0] : index_t(1))...>;
};

// y_true as a node of y_pred's rank and element type T. The reshape (when the ranks differ by a
// trailing 1) reads the leaf in place; the cast comes after it so that it stays elementwise.
template <class T, std::size_t RP, class N>
auto aligned_true(N n) {
    constexpr std::size_t RT = N::rank;
    if constexpr (RT == RP) {
        return as_type<T>(std::move(n));
    } else {
        using S = typename aligned_shape<typename N::shape_type, RP>::type;
        const auto td = n.dims();
        dims_t<RP> d{};
        for (std::size_t k = 0; k < RP; ++k) d[k] = k < RT ? td[k] : 1;
        return as_type<T>(reshape_to_shape<S>(std::move(n), d));
    }
}

// Integer class labels of rank RP - 1 (a trailing 1 dropped; float labels cast to int64 as Keras
// casts them).
template <std::size_t RP, class N>
auto sparse_labels(N n) {
    using L = typename N::value_type;
    auto ints = [](auto x) {
        if constexpr (std::is_integral_v<L> && !std::is_same_v<L, bool>)
            return x;
        else
            return cast<std::int64_t>(std::move(x));
    };
    if constexpr (N::rank + 1 == RP) {
        return ints(std::move(n));
    } else {
        using S = typename aligned_shape<typename N::shape_type, RP - 1>::type;
        const auto td = n.dims();
        dims_t<RP - 1> d{};
        for (std::size_t k = 0; k + 1 < RP; ++k) d[k] = td[k];
        return ints(reshape_to_shape<S>(std::move(n), d));
    }
}

// The common checks of a loss over (y_true, y_pred) nodes.
template <class Loss, class NT, class NP>
constexpr bool static_checks() {
    static_assert(floating_prediction<Loss, typename NP::value_type>,
                  "tfx: loss: y_pred must have floating-point elements (the loss and y_pred's element type below)");
    static_assert(numeric_labels<Loss, typename NT::value_type>,
                  "tfx: loss: y_true must have numeric elements (the loss and y_true's element type below)");
    static_assert(shapes_compatible<Loss, typename NT::shape_type, typename NP::shape_type>,
                  "tfx: loss: y_true and y_pred have incompatible shapes; they must agree, or one may have an extra "
                  "trailing extent 1 (the loss, y_true's and y_pred's shapes below)");
    return floating_prediction<Loss, typename NP::value_type> && numeric_labels<Loss, typename NT::value_type> &&
           shapes_compatible<Loss, typename NT::shape_type, typename NP::shape_type>;
}

// select(flag, a, b): a's value when the run-time flag is set, b's otherwise, for options such as
// from_logits that change the formula but not the expression's type. It is a kernel node that
// evaluates only the chosen operand (a where() would compute both, and the log of the branch not
// taken costs as much as the loss itself). Derivatives flow to the chosen operand; the other gets
// zeros, which reach its inputs through that branch's (cheap, elementwise) backward chain.
template <class A, class B>
struct select_node : expr_base<typename A::value_type, typename A::shape_type> {
    static_assert(std::is_same_v<typename A::value_type, typename B::value_type> &&
                      std::is_same_v<typename A::shape_type, typename B::shape_type>,
                  "tfx: internal: select needs operands of one element type and shape");
    using T = typename A::value_type;
    static constexpr std::size_t R = A::rank;
    static constexpr const char* name = "select";
    bool flag;
    A a;
    B b;
    select_node(bool f, A a_, B b_) : flag(f), a(std::move(a_)), b(std::move(b_)) {}
    auto children() const { return std::tie(a, b); }
    auto params() const { return std::tuple(flag); }
    dims_t<R> dims() const { return flag ? a.dims() : b.dims(); }
    void eval_into(T* out, const dims_t<R>& d, tfx::detail::eval_ctx& ctx) const {
        if (flag)
            tfx::detail::eval_block(a, out, d, ctx);
        else
            tfx::detail::eval_block(b, out, d, ctx);
    }
};
template <class A, class B>
auto select(bool flag, A a, B b) {
    return select_node<A, B>(flag, std::move(a), std::move(b));
}

// Zeros of x's shape (for the operand of a select that is not chosen).
template <class S, class X>
auto zeros_of(const X& x) {
    return broadcast_to_dims<S>(scalar<typename X::value_type>(0), x.dims());
}
// A tangent at x's shape S: zeros for none, broadcast when its static shape differs.
template <class X, class Tg>
auto tangent_at(const X& x, const Tg& t) {
    using S = typename X::shape_type;
    if constexpr (is_zero<Tg>)
        return zeros_of<S>(x);
    else if constexpr (std::is_same_v<typename Tg::shape_type, S>)
        return as_node(t);
    else
        return broadcast_to_dims<S>(as_node(t), x.dims());
}

template <class A, class B, class G>
auto vjp(const select_node<A, B>& e, const G& g) {
    using S = typename node_of<G>::shape_type;
    auto gn = as_node(g);
    // One type for both adjoints: g where the operand was chosen, zeros elsewhere.
    return std::tuple{select(e.flag, gn, zeros_of<S>(gn)), select(!e.flag, gn, zeros_of<S>(gn))};
}
template <class A, class B, class TA, class TB>
auto jvp(const select_node<A, B>& e, const TA& ta, const TB& tb) {
    if constexpr (is_zero<TA> && is_zero<TB>)
        return zero_t{};
    else
        return select(e.flag, tangent_at(e.a, ta), tangent_at(e.b, tb));
}

// ---- run-time checks of label values (check())

inline std::string number_string(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}
// "row 3" for one label per row, "index [3, 1]" otherwise (a trailing extent 1 is left out).
template <std::size_t R>
std::string position_string(std::size_t flat, const dims_t<R>& d) {
    std::size_t r = R;
    while (r > 1 && d[r - 1] == 1) --r;
    if (r <= 1) return "row " + std::to_string(flat);
    dims_t<R> idx{};
    for (std::size_t k = R; k-- > 0;) {
        idx[k] = d[k] ? flat % d[k] : 0;
        flat = d[k] ? flat / d[k] : 0;
    }
    std::string s = "index [";
    for (std::size_t k = 0; k < r; ++k) s += (k ? ", " : "") + std::to_string(idx[k]);
    return s + "]";
}

template <class YT>
constexpr bool labels_are_tensor() {
    static_assert(is_tensor_v<YT>, "tfx: loss check: y_true must be a tensor (check reads its values)");
    return is_tensor_v<YT>;
}

// Targets of binary and categorical cross-entropy lie in [0, 1].
template <class YT>
void check_unit_interval(const char* loss, const YT& y_true) {
    const auto* p = y_true.data();
    for (std::size_t i = 0, n = y_true.size(); i < n; ++i) {
        const double v = double(p[i]);
        if (!(v >= 0 && v <= 1))
            throw value_error(std::string("tfx: ") + loss + ": target " + number_string(v) + " at " +
                              position_string(i, y_true.shape()) + " is outside [0, 1] (y_true of shape " +
                              shape_string(y_true.shape()) + ")");
    }
}

// A class label outside [0, C): check()'s message, and the sparse cross-entropy kernels' (below).
template <std::size_t RL, std::size_t RP>
[[noreturn, gnu::cold, gnu::noinline]] void throw_label_range(const char* loss, const std::string& label,
                                                               std::size_t flat, const dims_t<RL>& ld,
                                                               const dims_t<RP>& pd) {
    throw value_error(std::string("tfx: ") + loss + ": label " + label + " at " + position_string(flat, ld) +
                      " is out of range [0, " + std::to_string(pd[RP - 1]) + ") for y_pred of shape " +
                      shape_string(pd));
}

// Class labels are integers in [0, C).
template <class YT, std::size_t RP>
void check_class_labels(const char* loss, const YT& y_true, const dims_t<RP>& pd) {
    using L = typename YT::value_type;
    const std::size_t classes = pd[RP - 1];
    const auto* p = y_true.data();
    for (std::size_t i = 0, n = y_true.size(); i < n; ++i) {
        const L v = p[i];
        if constexpr (std::is_floating_point_v<L>) {
            if (!(v == std::floor(v)))
                throw value_error(std::string("tfx: ") + loss + ": label " + number_string(double(v)) + " at " +
                                  position_string(i, y_true.shape()) + " is not an integer");
        }
        if (!(v >= 0 && double(v) < double(classes)))
            throw_label_range(loss, number_string(double(v)), i, y_true.shape(), pd);
    }
}

// ---- the sparse softmax cross-entropy in two kernels, as TensorFlow's
// SparseSoftmaxCrossEntropyWithLogits: the per-sample loss of logits z [..., C] against integer
// labels [...], logsumexp(z) - z[label] (each row's max subtracted first), and its gradient
// g (softmax(z) - onehot(label)). Written as log_softmax and gather, the loss and its gradient were
// a kernel for each pass of log_softmax, the gather and their adjoints, each with its own fixed cost
// (on a small batch, a third of a training step).
// Forward mode and second derivatives are written with softmax and gather (below).

inline constexpr const char* sparse_xent_name = "sparse_categorical_crossentropy";

template <class Z>
inline constexpr unsigned class_axis = tfx::detail::axes_mask<Z::rank, -1>();
template <class Z>
using sample_shape = shape_of_array<tfx::detail::reduced_extents<typename Z::shape_type, class_axis<Z>, false>()>;

// row(i, z_i, C, label_i) for each row of the logits mz and labels ml (both contiguous), once the
// shapes and every label are checked: nothing is written before an error.
template <class MZ, class ML, class F>
void for_each_xent_row(const MZ& mz, const ML& ml, F&& row) {
    const auto zd = mz.dims();
    const auto ld = ml.dims();
    if (!dims_match_sparse(ld, zd)) throw_shapes(sparse_xent_name, ld, zd, sparse_shape_text);
    const std::size_t classes = zd[zd.size() - 1], rows = dims_size(ld);
    const auto* lp = ml.data();
    using L = std::remove_cvref_t<decltype(*lp)>;
    for (std::size_t i = 0; i < rows; ++i) {
        bool bad = std::size_t(lp[i]) >= classes;
        if constexpr (std::is_signed_v<L>) bad = bad || lp[i] < 0;
        if (bad) throw_label_range(sparse_xent_name, std::to_string(static_cast<long long>(lp[i])), i, ld, zd);
    }
    const auto* zp = mz.data();
    auto part = [&](std::size_t r0, std::size_t r1) {
        for (std::size_t i = r0; i < r1; ++i) row(i, zp + i * classes, classes, std::size_t(lp[i]));
    };
    // Large inputs are split by rows over the thread pool, as softmax's reductions are: each row is
    // computed whole by one thread, so the results do not depend on the thread count.
    const std::size_t tasks = std::min(rows, kernels::detail::elementwise_tasks(rows * classes));
    if (tasks > 1)
        tfx::detail::parallel_for(tasks, [&](std::size_t t) { part(rows * t / tasks, rows * (t + 1) / tasks); });
    else
        part(0, rows);
}

// What the loss kernel keeps for its gradient under a tfx::function: each row's terms exp(z - m)
// and their sum, looked up by z's identity (a key, not a node that is evaluated). The gradient then
// scales the terms instead of computing the row's max and exps again; the values are the same.
template <class Z>
struct xent_terms_key {
    const Z& z;
    auto children() const { return std::tie(z); }
};

// The per-sample loss, of z's shape without its class axis. z holds logits, or (logits = false)
// probabilities p, taken as the logits log(clip(p, lo, hi)): the kernels compute that case from p
// directly (no exp, no log of each value), and the adjoint goes to p without the log and clip
// chain.
template <class Z, class L>
struct sparse_xent_node : expr_base<typename Z::value_type, sample_shape<Z>> {
    using T = typename Z::value_type;
    static constexpr std::size_t R = Z::rank - 1;
    static constexpr const char* name = "sparse_softmax_cross_entropy";
    Z z;
    L labels;
    bool logits;
    T lo, hi;
    sparse_xent_node(Z z_, L l_, bool logits_, T lo_, T hi_)
        : z(std::move(z_)), labels(std::move(l_)), logits(logits_), lo(lo_), hi(hi_) {}
    auto children() const { return std::tie(z, labels); }
    auto params() const { return std::tuple(logits, lo, hi); }
    dims_t<R> dims() const { return tfx::detail::reduced_dims<class_axis<Z>, false>(z.dims()); }
    void eval_into(T* out, const dims_t<R>&, tfx::detail::eval_ctx& ctx) const {
        const auto mz = tfx::detail::materialize_if_leafless(z, ctx);
        const auto ml = tfx::detail::materialize_if_leafless(labels, ctx);
        if (logits) {
            // Under a tfx::function, the terms and sums are kept for the gradient, unless the
            // function's first call found that nothing reads them (a test step, predict).
            const std::size_t size = dims_size(mz.dims()), rows = dims_size(ml.dims());
            T* kept = ctx.persistent ? ctx.ws->template byproduct_memory<xent_terms_key<Z>, T>(size + rows) : nullptr;
            if (kept) {
                for_each_xent_row(mz, ml, [out, kept, size](std::size_t i, const T* zr, std::size_t n, std::size_t l) {
                    out[i] = kernels::softmax_xent_row_kept(zr, n, l, kept + i * n, kept + size + i);
                });
                ctx.ws->keep_byproduct(xent_terms_key<Z>{z}, static_cast<const T*>(kept));
            } else {
                for_each_xent_row(mz, ml, [out](std::size_t i, const T* zr, std::size_t n, std::size_t l) {
                    out[i] = kernels::softmax_xent_row(zr, n, l);
                });
            }
        } else
            for_each_xent_row(mz, ml, [out, lo = lo, hi = hi](std::size_t i, const T* pr, std::size_t n, std::size_t l) {
                out[i] = kernels::prob_xent_row(pr, n, l, lo, hi);
            });
    }
};

// Its gradient with respect to z, for the adjoint g of the per-sample losses.
template <class Z, class L, class G>
struct sparse_xent_grad_node : expr_base<typename Z::value_type, typename Z::shape_type> {
    using T = typename Z::value_type;
    static constexpr std::size_t R = Z::rank;
    static constexpr const char* name = "sparse_softmax_cross_entropy_grad";
    Z z;
    L labels;
    G g;
    bool logits;
    T lo, hi;
    sparse_xent_grad_node(Z z_, L l_, G g_, bool logits_, T lo_, T hi_)
        : z(std::move(z_)), labels(std::move(l_)), g(std::move(g_)), logits(logits_), lo(lo_), hi(hi_) {}
    auto children() const { return std::tie(z, labels, g); }
    auto params() const { return std::tuple(logits, lo, hi); }
    dims_t<R> dims() const { return z.dims(); }
    void eval_into(T* out, const dims_t<R>&, tfx::detail::eval_ctx& ctx) const {
        const auto mz = tfx::detail::materialize_if_leafless(z, ctx);
        const auto ml = tfx::detail::materialize_if_leafless(labels, ctx);
        const auto mg = tfx::detail::materialize_if_leafless(g, ctx);
        if (mg.dims() != ml.dims())
            throw shape_error("tfx: " + std::string(sparse_xent_name) + " (gradient): the adjoint of shape " +
                              shape_string(mg.dims()) + " does not match the labels' shape " + shape_string(ml.dims()));
        const T* gp = mg.data();
        const T* z0 = mz.data();
        const T* kept = logits && ctx.persistent ? ctx.ws->template recall<T>(xent_terms_key<Z>{z}) : nullptr;
        if (kept) {  // the loss kernel's terms and sums (above)
            const std::size_t size = dims_size(mz.dims());
            for_each_xent_row(mz, ml, [&](std::size_t i, const T* zr, std::size_t n, std::size_t l) {
                kernels::softmax_xent_grad_row_kept(out + (zr - z0), kept + (zr - z0), kept[size + i], n, l, gp[i]);
            });
        } else if (logits)
            for_each_xent_row(mz, ml, [&](std::size_t i, const T* zr, std::size_t n, std::size_t l) {
                kernels::softmax_xent_grad_row(out + (zr - z0), zr, n, l, gp[i]);
            });
        else
            for_each_xent_row(mz, ml, [&](std::size_t i, const T* pr, std::size_t n, std::size_t l) {
                kernels::prob_xent_grad_row(out + (pr - z0), pr, n, l, gp[i], lo, hi);
            });
    }
};

// The nodes for logits z, or (logits = false) for probabilities clipped to [eps, 1 - eps].
template <class Z, class L>
auto sparse_softmax_xent(Z z, L labels, bool logits = true, double eps = 0) {
    using T = typename Z::value_type;
    return sparse_xent_node<Z, L>(std::move(z), std::move(labels), logits, T(eps), T(1.0 - eps));
}
template <expression Z, expression L, expression G>
auto sparse_softmax_xent_grad(const Z& z, const L& labels, const G& g, bool logits = true, double eps = 0) {
    using T = typename node_of<Z>::value_type;
    return sparse_xent_grad_node<node_of<Z>, node_of<L>, node_of<G>>(as_node(z), as_node(labels), as_node(g), logits,
                                                                     T(eps), T(1.0 - eps));
}

// Directional derivative of the per-sample loss along t (of z's shape): sum(softmax(z) t) - t[label].
template <class Z, class L, class Tz>
auto xent_along(const Z& z, const L& labels, const Tz& t) {
    constexpr int R = int(Z::rank);
    return sum<-1>(softmax<-1>(z) * t) - gather<R - 1, R - 1>(t, labels);
}
// The gradient's derivative along t, for per-sample adjoints g: g p (t - sum(p t)), p = softmax(z).
// The Hessian is symmetric: this is also the gradient's own adjoint for an adjoint t.
template <class Z, class G, class Tz>
auto xent_grad_along(const Z& z, const G& g, const Tz& t) {
    constexpr unsigned mask = class_axis<Z>;
    auto p = softmax<-1>(z);
    auto s = tfx::detail::expand_reduced<mask, false>(sum<-1>(p * t), z);
    return tfx::detail::expand_reduced<mask, false>(as_node(g), z) * p * (t - s);
}

// The derivatives below are written in the logits u(z): u = z, or log(clip(z, lo, hi)) for
// probabilities, with u' and u'' elementwise (clip's derivative as clip's own rule: 1 inside
// [lo, hi], bounds included, 0 outside).
template <class E>
auto xent_logits(const E& e) {
    return select(e.logits, e.z, log(clip(e.z, e.lo, e.hi)));
}
template <class E>
auto xent_du(const E& e) {
    using S = typename decltype(e.z)::shape_type;
    using T = typename E::T;
    return select(e.logits, broadcast_to_dims<S>(scalar<T>(1), e.z.dims()),
                  where(e.z < e.lo, T(0), where(e.z > e.hi, T(0), T(1) / clip(e.z, e.lo, e.hi))));
}
template <class E>
auto xent_d2u(const E& e) {
    using S = typename decltype(e.z)::shape_type;
    using T = typename E::T;
    return select(e.logits, zeros_of<S>(e.z),
                  where(e.z < e.lo, T(0), where(e.z > e.hi, T(0), T(-1) / square(clip(e.z, e.lo, e.hi)))));
}

template <class Z, class L, class G>
auto vjp(const sparse_xent_node<Z, L>& e, const G& g) {
    return std::tuple{sparse_xent_grad_node<Z, L, node_t<const G&>>(e.z, e.labels, as_node(g), e.logits, e.lo, e.hi),
                      zero_t{}};
}
template <class Z, class L, class TZ, class TL>
auto jvp(const sparse_xent_node<Z, L>& e, const TZ& tz, const TL&) {
    if constexpr (is_zero<TZ>)
        return zero_t{};
    else
        return xent_along(xent_logits(e), e.labels, xent_du(e) * tangent_at(e.z, tz));
}
// The gradient is F(z) = u'(z) G(u(z)), G(u) = g (softmax(u) - onehot(label)), so along t,
// dF = u'' G t + u' H (u' t), H the loss's Hessian in u (symmetric: the same for adjoints).
template <class Z, class L, class G0>
auto xent_grad_in_logits(const sparse_xent_grad_node<Z, L, G0>& e) {
    auto u = xent_logits(e);
    using T = typename Z::value_type;
    return sparse_xent_grad_node<decltype(u), L, G0>(u, e.labels, e.g, true, T(0), T(1));
}
template <class Z, class L, class G0, class Tz>
auto xent_grad_grad_along(const sparse_xent_grad_node<Z, L, G0>& e, const Tz& t) {
    auto du = xent_du(e);
    return xent_d2u(e) * xent_grad_in_logits(e) * t + du * xent_grad_along(xent_logits(e), e.g, du * t);
}
template <class Z, class L, class G0, class G>
auto vjp(const sparse_xent_grad_node<Z, L, G0>& e, const G& g) {
    auto gz = as_node(g);
    return std::tuple{unbroadcast(xent_grad_grad_along(e, gz), e.z), zero_t{},
                      unbroadcast(xent_along(xent_logits(e), e.labels, xent_du(e) * gz), e.g)};
}
template <class Z, class L, class G0, class TZ, class TL, class TG>
auto jvp(const sparse_xent_grad_node<Z, L, G0>& e, const TZ& tz, const TL&, const TG& tg) {
    auto along_g = [&] {
        return sparse_xent_grad_node<Z, L, node_t<const TG&>>(e.z, e.labels, as_node(tg), e.logits, e.lo, e.hi);
    };
    if constexpr (is_zero<TZ> && is_zero<TG>)
        return zero_t{};
    else if constexpr (is_zero<TG>)
        return xent_grad_grad_along(e, tangent_at(e.z, tz));
    else if constexpr (is_zero<TZ>)
        return along_g();
    else
        return along_g() + xent_grad_grad_along(e, tangent_at(e.z, tz));
}

}  // namespace detail

// ---- the losses. Each has:
//   operator()(y_true, y_pred) -> rank-0 expression (y_true and y_pred: tensors or expressions);
//   check(y_true, y_pred) and check(y_true, y_pred_dims): run-time checks of the labels (a tensor)
//   against y_pred (an expression or tensor) or y_pred's run-time shape (std::array<size_t, R>);
//   throws shape_error / value_error, and is what fit runs on each batch before a step.

// mean(square(y_pred - y_true)).
struct mean_squared_error {
    static constexpr const char* name = "mean_squared_error";

    template <expression YT, expression YP>
    auto operator()(const YT& y_true, const YP& y_pred) const {
        using NT = detail::node_of<YT>;
        using NP = detail::node_of<YP>;
        if constexpr (detail::static_checks<mean_squared_error, NT, NP>()) {
            using T = typename NP::value_type;
            auto p = as_node(y_pred);
            auto t = as_node(y_true);
            detail::check_dims(name, t.dims(), p.dims());
            return mean(square(std::move(p) - detail::aligned_true<T, NP::rank>(std::move(t))));
        }
    }
    template <class YT, std::size_t R>
    void check(const YT& y_true, const dims_t<R>& pred_dims) const {
        if constexpr (detail::labels_are_tensor<YT>()) detail::check_dims(name, y_true.shape(), pred_dims);
    }
    template <class YT, expression YP>
    void check(const YT& y_true, const YP& y_pred) const {
        check(y_true, as_node(y_pred).dims());
    }
};

// mean(abs(y_pred - y_true)).
struct mean_absolute_error {
    static constexpr const char* name = "mean_absolute_error";

    template <expression YT, expression YP>
    auto operator()(const YT& y_true, const YP& y_pred) const {
        using NT = detail::node_of<YT>;
        using NP = detail::node_of<YP>;
        if constexpr (detail::static_checks<mean_absolute_error, NT, NP>()) {
            using T = typename NP::value_type;
            auto p = as_node(y_pred);
            auto t = as_node(y_true);
            detail::check_dims(name, t.dims(), p.dims());
            return mean(abs(std::move(p) - detail::aligned_true<T, NP::rank>(std::move(t))));
        }
    }
    template <class YT, std::size_t R>
    void check(const YT& y_true, const dims_t<R>& pred_dims) const {
        if constexpr (detail::labels_are_tensor<YT>()) detail::check_dims(name, y_true.shape(), pred_dims);
    }
    template <class YT, expression YP>
    void check(const YT& y_true, const YP& y_pred) const {
        check(y_true, as_node(y_pred).dims());
    }
};

// Huber: 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond, e = y_pred - y_true. Written
// with q = min(|e|, delta) as 0.5 q^2 + delta (|e| - q), which is the same without a branch.
struct huber {
    double delta = 1.0;
    static constexpr const char* name = "huber_loss";  // Keras's name for tf.keras.losses.Huber

    template <expression YT, expression YP>
    auto operator()(const YT& y_true, const YP& y_pred) const {
        using NT = detail::node_of<YT>;
        using NP = detail::node_of<YP>;
        if constexpr (detail::static_checks<huber, NT, NP>()) {
            using T = typename NP::value_type;
            auto p = as_node(y_pred);
            auto t = as_node(y_true);
            detail::check_dims(name, t.dims(), p.dims());
            const T d = T(delta);
            auto a = abs(std::move(p) - detail::aligned_true<T, NP::rank>(std::move(t)));
            auto q = minimum(a, d);
            return mean(T(0.5) * square(q) + d * (a - q));
        }
    }
    template <class YT, std::size_t R>
    void check(const YT& y_true, const dims_t<R>& pred_dims) const {
        if constexpr (detail::labels_are_tensor<YT>()) detail::check_dims(name, y_true.shape(), pred_dims);
    }
    template <class YT, expression YP>
    void check(const YT& y_true, const YP& y_pred) const {
        check(y_true, as_node(y_pred).dims());
    }
};

// Binary cross-entropy of targets in [0, 1] (y_true of y_pred's shape, or with a trailing 1 added or
// dropped). label_smoothing moves the targets towards 0.5: t (1 - s) + s / 2. With from_logits,
// y_pred holds logits: softplus(x) - x t, stable for any x. Otherwise probabilities, clipped to
// [eps, 1 - eps], and as Keras: -(t log(p + eps) + (1 - t) log(1 - p + eps)).
struct binary_crossentropy {
    bool from_logits = false;
    double label_smoothing = 0;
    static constexpr const char* name = "binary_crossentropy";

    template <expression YT, expression YP>
    auto operator()(const YT& y_true, const YP& y_pred) const {
        using NT = detail::node_of<YT>;
        using NP = detail::node_of<YP>;
        if constexpr (detail::static_checks<binary_crossentropy, NT, NP>()) {
            using T = typename NP::value_type;
            auto x = as_node(y_pred);
            auto t0 = as_node(y_true);
            detail::check_dims(name, t0.dims(), x.dims());
            const T s = T(label_smoothing), eps = T(epsilon);
            auto t = detail::aligned_true<T, NP::rank>(std::move(t0)) * (T(1) - s) + T(0.5) * s;
            auto c = clip(x, eps, T(1.0 - epsilon));
            auto from_probabilities = -(t * log(c + eps) + (T(1) - t) * log(T(1) - c + eps));
            return mean(detail::select(from_logits, softplus(x) - x * t, std::move(from_probabilities)));
        }
    }
    template <class YT, std::size_t R>
    void check(const YT& y_true, const dims_t<R>& pred_dims) const {
        if constexpr (detail::labels_are_tensor<YT>()) {
            detail::check_dims(name, y_true.shape(), pred_dims);
            detail::check_unit_interval(name, y_true);
        }
    }
    template <class YT, expression YP>
    void check(const YT& y_true, const YP& y_pred) const {
        check(y_true, as_node(y_pred).dims());
    }
};

// Categorical cross-entropy of one-hot (or soft) targets over the last axis, y_true and y_pred of
// the same shape [N, C] (or [..., C]): the mean over samples of -sum_c t_c log q_c, where q is
// softmax(y_pred) with from_logits, and otherwise y_pred normalized to sum 1 and clipped to
// [eps, 1 - eps] (Keras). label_smoothing: t (1 - s) + s / C.
//
// Both settings are one log_softmax over z: the logits, or log(p) (so that log_softmax(z) is
// log(p / sum p)); with probabilities the result is clipped to [log eps, log(1 - eps)], which is
// Keras's clip moved through the (monotonic) log.
struct categorical_crossentropy {
    bool from_logits = false;
    double label_smoothing = 0;
    static constexpr const char* name = "categorical_crossentropy";

    template <expression YT, expression YP>
    auto operator()(const YT& y_true, const YP& y_pred) const {
        using NT = detail::node_of<YT>;
        using NP = detail::node_of<YP>;
        using ST = typename NT::shape_type;
        using SP = typename NP::shape_type;
        static_assert(has_class_axis<categorical_crossentropy, SP>,
                      "tfx: categorical_crossentropy: y_pred needs a class axis, shape [N, C] (shape below); for "
                      "integer labels use sparse_categorical_crossentropy");
        if constexpr (has_class_axis<categorical_crossentropy, SP>) {
            static_assert(same_rank<categorical_crossentropy, ST, SP>,
                          "tfx: categorical_crossentropy: y_true must be one-hot, of y_pred's shape [N, C] (shapes "
                          "below); for integer labels use sparse_categorical_crossentropy");
            if constexpr (same_rank<categorical_crossentropy, ST, SP>)
                if constexpr (detail::static_checks<categorical_crossentropy, NT, NP>())
                    return build(as_node(y_true), as_node(y_pred));
        }
    }
    template <class YT, std::size_t R>
    void check(const YT& y_true, const dims_t<R>& pred_dims) const {
        if constexpr (detail::labels_are_tensor<YT>()) {
            constexpr const char* expected = "expected one-hot targets of y_pred's shape";
            if constexpr (YT::rank != R)
                detail::throw_shapes(name, y_true.shape(), pred_dims, expected);
            else if (y_true.shape() != pred_dims)
                detail::throw_shapes(name, y_true.shape(), pred_dims, expected);
            detail::check_unit_interval(name, y_true);
        }
    }
    template <class YT, expression YP>
    void check(const YT& y_true, const YP& y_pred) const {
        check(y_true, as_node(y_pred).dims());
    }

   private:
    template <class NT, class NP>
    auto build(NT t0, NP x) const {
        using T = typename NP::value_type;
        const auto xd = x.dims();
        detail::check_dims(name, t0.dims(), xd);
        const T s = T(label_smoothing);
        const T classes = T(xd[NP::rank - 1]);
        auto t = detail::as_type<T>(std::move(t0)) * (T(1) - s) + s / classes;
        // log(max(p, tiny)): log 0 would be -inf, and its derivative inf times a zero adjoint.
        auto z = detail::select(from_logits, x, log(maximum(x, std::numeric_limits<T>::min())));
        constexpr T inf = std::numeric_limits<T>::infinity();
        const T lo = from_logits ? -inf : T(std::log(epsilon)), hi = from_logits ? inf : T(std::log1p(-epsilon));
        return mean(-sum<-1>(t * clip(log_softmax<-1>(std::move(z)), lo, hi)));
    }
};

// Sparse categorical cross-entropy: y_true holds class indices (int32/int64; float labels are cast
// as Keras casts them) of shape [N] or [N, 1] for y_pred [N, C] (generally y_pred's shape without
// its last axis): the mean of -log_softmax(z)[label] over the samples, where z is y_pred with
// from_logits, and otherwise, as Keras, z = log(clip(p, eps, 1 - eps)) (so p[label] is divided
// by the row's sum).
struct sparse_categorical_crossentropy {
    bool from_logits = false;
    static constexpr const char* name = "sparse_categorical_crossentropy";

    template <expression YT, expression YP>
    auto operator()(const YT& y_true, const YP& y_pred) const {
        using NT = detail::node_of<YT>;
        using NP = detail::node_of<YP>;
        using ST = typename NT::shape_type;
        using SP = typename NP::shape_type;
        using self = sparse_categorical_crossentropy;
        static_assert(floating_prediction<self, typename NP::value_type>,
                      "tfx: loss: y_pred must have floating-point elements (the loss and y_pred's element type below)");
        static_assert(numeric_labels<self, typename NT::value_type>,
                      "tfx: loss: y_true must have numeric elements (the loss and y_true's element type below)");
        static_assert(has_class_axis<self, SP>,
                      "tfx: sparse_categorical_crossentropy: y_pred needs a class axis, shape [N, C] (shape below)");
        if constexpr (has_class_axis<self, SP>) {
            static_assert(sparse_shapes_compatible<self, ST, SP>,
                          "tfx: sparse_categorical_crossentropy: labels must have y_pred's shape without its class "
                          "axis, [N] or [N, 1] for y_pred [N, C] (shapes below)");
            if constexpr (floating_prediction<self, typename NP::value_type> && numeric_labels<self, typename NT::value_type> &&
                          sparse_shapes_compatible<self, ST, SP>)
                return build(as_node(y_true), as_node(y_pred));
        }
    }
    template <class YT, std::size_t R>
    void check(const YT& y_true, const dims_t<R>& pred_dims) const {
        static_assert(R >= 2, "tfx: sparse_categorical_crossentropy: y_pred needs a class axis, shape [N, C]");
        if constexpr (detail::labels_are_tensor<YT>()) {
            if constexpr (YT::rank + 1 != R && YT::rank != R)
                detail::throw_shapes(name, y_true.shape(), pred_dims, detail::sparse_shape_text);
            else
                detail::check_dims_sparse(name, y_true.shape(), pred_dims);
            detail::check_class_labels(name, y_true, pred_dims);
        }
    }
    template <class YT, expression YP>
    void check(const YT& y_true, const YP& y_pred) const {
        check(y_true, as_node(y_pred).dims());
    }

   private:
    template <class NT, class NP>
    auto build(NT y0, NP x) const {
        detail::check_dims_sparse(name, y0.dims(), x.dims());
        auto labels = detail::sparse_labels<NP::rank>(std::move(y0));
        return mean(detail::sparse_softmax_xent(std::move(x), std::move(labels), from_logits, epsilon));
    }
};

}  // namespace tfx::losses
