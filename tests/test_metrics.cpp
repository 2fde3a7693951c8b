// tfx::metrics: results over several update_state calls against values counted by hand (and the
// examples of the tf.keras.metrics documentation), reset_state, names, and the error cases (which
// must leave the state as it was). AUC is also checked against the exact ROC AUC counted pair by
// pair, on predictions that the thresholds separate exactly.
#include <tfx/metrics/metrics.hpp>
#include <tfx/tfx.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using tfx::dyn;
using tfx::tensor;
namespace metrics = tfx::metrics;

template <class L>
std::string message_of(const L& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

}  // namespace

TEST_CASE("mean: weighted mean of values and of tensors, named by its field", "[metrics]") {
    metrics::mean m;
    CHECK(m.name() == "mean");
    CHECK(m.result() == 0);  // nothing seen yet (divide_no_nan)
    m.update_state(1);
    m.update_state(2);
    m.update_state(6, 0.5);  // (1 + 2 + 3) / 2.5
    CHECK(m.result() == Approx(6 / 2.5));
    const tensor<float> loss = 4.f;  // a rank-0 tensor, as value_and_grad returns the loss
    m.update_state(loss);
    CHECK(m.result() == Approx(10 / 3.5));
    const tensor<double, 2, 2> values{{1, 2}, {3, 4}};  // four values
    m.update_state(values);
    CHECK(m.result() == Approx(20 / 7.5));
    m.reset_state();
    CHECK(m.result() == 0);
    m.update_state(-3);
    CHECK(m.result() == -3);

    metrics::mean val{.name = "val_loss"};
    CHECK(val.name() == "val_loss");
    val.name = "loss";
    CHECK(val.name() == "loss");
}

TEST_CASE("accuracy: exact matches over all elements, across batches", "[metrics]") {
    metrics::accuracy m;
    CHECK(m.name() == "accuracy");
    // tf.keras.metrics.Accuracy's example: 0.75.
    m.update_state(tensor<std::int64_t, dyn, 1>{{1}, {2}, {3}, {4}}, tensor<float, dyn, 1>{{0}, {2}, {3}, {4}});
    CHECK(m.result() == Approx(0.75));
    // [N] labels with [N, 1] predictions: 1 of 2 matches, so 4 of 6.
    m.update_state(tensor<std::int32_t, dyn>{1, 2}, tensor<float, dyn, 1>{{1.f}, {2.5f}});
    CHECK(m.result() == Approx(4.0 / 6));
    // Every element of a [N, K] batch counts: 2 of 4 more.
    m.update_state(tensor<double, 2, 2>{{0, 1}, {1, 1}}, tensor<double, 2, 2>{{0, 0}, {0, 1}});
    CHECK(m.result() == Approx(6.0 / 10));
    SECTION("a batch of another length is refused and changes nothing") {
        const tensor<std::int64_t, dyn> y{1, 2, 3};
        const tensor<float, dyn> p{1, 2};
        CHECK_THROWS_AS(m.update_state(y, p), tfx::shape_error);
        CHECK_THAT(message_of([&] { m.update_state(y, p); }),
                   Catch::Contains("accuracy") && Catch::Contains("[3]") && Catch::Contains("[2]"));
        CHECK(m.result() == Approx(6.0 / 10));
        CHECK(m.count == 10);
    }
    m.reset_state();
    CHECK(m.result() == 0);
    CHECK(m.count == 0);
}

TEST_CASE("binary_accuracy: y_pred > threshold against 0/1 targets", "[metrics]") {
    metrics::binary_accuracy m;
    CHECK(m.name() == "binary_accuracy");
    // tf.keras.metrics.BinaryAccuracy's example: 0.75 (0.6 > 0.5 is a wrong 1).
    const tensor<float, dyn, 1> y{{1}, {1}, {0}, {0}}, p{{0.98f}, {1}, {0}, {0.6f}};
    m.update_state(y, p);
    CHECK(m.result() == Approx(0.75));
    // 0.5 is not above 0.5: predicted 0. Targets that are neither 0 nor 1 never match.
    m.update_state(tensor<std::int32_t, dyn>{0, 1, 1, 0}, tensor<double, dyn>{0.5, 0.5, 0.51, 0.2});
    CHECK(m.result() == Approx(6.0 / 8));
    m.update_state(tensor<double, 2>{0.3, 1}, tensor<double, 2>{0.1, 0.9});
    CHECK(m.result() == Approx(7.0 / 10));
    m.reset_state();
    metrics::binary_accuracy high{.threshold = 0.7};
    high.update_state(y, p);  // 0.6 is now a right 0
    CHECK(high.result() == 1.0);
    CHECK_THROWS_AS(high.update_state(tensor<float, dyn, 2>(4), p), tfx::shape_error);
    CHECK(high.count == 4);
}

TEST_CASE("sparse_categorical_accuracy: argmax over the last axis against integer labels", "[metrics]") {
    metrics::sparse_categorical_accuracy m;
    CHECK(m.name() == "sparse_categorical_accuracy");
    // tf.keras.metrics.SparseCategoricalAccuracy's example ([N, 1] labels): 0.5.
    const tensor<float, dyn, 3> p{{0.1f, 0.6f, 0.3f}, {0.05f, 0.95f, 0}};
    m.update_state(tensor<std::int64_t, dyn, 1>{{2}, {1}}, p);
    CHECK(m.result() == Approx(0.5));
    // [N] int32 labels; a tie goes to the first index (as tf.argmax); a label out of range never matches.
    const tensor<double, dyn, 3> q{{1, 1, 0}, {0, 2, 2}, {5, 1, 0}, {0, 0, 3}};
    m.update_state(tensor<std::int32_t, dyn>{0, 2, 0, 7}, q);  // right, wrong, right, wrong
    CHECK(m.result() == Approx(3.0 / 6));
    m.update_state(tensor<float, dyn>{2.f, 1.f}, p);  // float labels: wrong, right
    CHECK(m.result() == Approx(4.0 / 8));
    SECTION("labels for another batch length are refused") {
        CHECK_THROWS_AS(m.update_state(tensor<std::int64_t, dyn>{1, 2, 0}, p), tfx::shape_error);
        CHECK_THAT(message_of([&] { m.update_state(tensor<std::int64_t, dyn>{1, 2, 0}, p); }),
                   Catch::Contains("sparse_categorical_accuracy") && Catch::Contains("[3]") && Catch::Contains("[2, 3]"));
        CHECK_THROWS_AS(m.update_state(tensor<std::int64_t, dyn, 2>(2), p), tfx::shape_error);  // [N, 2] labels
        CHECK(m.count == 8);
    }
    m.reset_state();
    CHECK(m.result() == 0);
}

TEST_CASE("categorical_accuracy: argmax of one-hot y_true against argmax of y_pred", "[metrics]") {
    metrics::categorical_accuracy m;
    CHECK(m.name() == "categorical_accuracy");
    // tf.keras.metrics.CategoricalAccuracy's example: 0.5.
    m.update_state(tensor<float, dyn, 3>{{0, 0, 1}, {0, 1, 0}}, tensor<float, dyn, 3>{{0.1f, 0.9f, 0.8f}, {0.05f, 0.95f, 0}});
    CHECK(m.result() == Approx(0.5));
    m.update_state(tensor<std::int32_t, 1, 3>{{1, 0, 0}}, tensor<float, 1, 3>{{0.5f, 0.2f, 0.3f}});
    CHECK(m.result() == Approx(2.0 / 3));
    CHECK_THROWS_AS(m.update_state(tensor<float, dyn, 3>(2), tensor<float, dyn, 3>(3)), tfx::shape_error);
    CHECK(m.count == 3);
}

TEST_CASE("precision and recall at a threshold, counted over batches", "[metrics]") {
    metrics::precision pr;
    metrics::recall rc;
    CHECK(pr.name() == "precision");
    CHECK(rc.name() == "recall");
    // The tf.keras documentation's example: both 2/3.
    const tensor<std::int32_t, dyn> y{0, 1, 1, 1};
    const tensor<float, dyn> p{1, 0, 1, 1};
    pr.update_state(y, p);
    rc.update_state(y, p);
    CHECK(pr.result() == Approx(2.0 / 3));
    CHECK(rc.result() == Approx(2.0 / 3));
    // Another batch: predicted positive (> 0.5): 0.9 (label 1, TP), 0.7 (label 0, FP); 0.5 is not.
    // Positives: 0.9 (TP), 0.5 (FN), 0.2 (FN). Labels are positive when nonzero (2 counts).
    const tensor<double, dyn, 1> y2{{1}, {0}, {2}, {1}, {0}};
    const tensor<double, dyn, 1> p2{{0.9}, {0.7}, {0.5}, {0.2}, {0.1}};
    pr.update_state(y2, p2);
    rc.update_state(y2, p2);
    CHECK(pr.true_positives == 3);
    CHECK(pr.false_positives == 2);
    CHECK(rc.false_negatives == 3);
    CHECK(pr.result() == Approx(3.0 / 5));
    CHECK(rc.result() == Approx(3.0 / 6));
    SECTION("another threshold") {
        metrics::precision p8{.threshold = 0.8};
        metrics::recall r1{.threshold = 0.1};
        p8.update_state(y2, p2);  // only 0.9: TP
        r1.update_state(y2, p2);  // 0.9, 0.5, 0.2 all above 0.1
        CHECK(p8.result() == 1.0);
        CHECK(r1.result() == 1.0);
    }
    SECTION("predictions outside [0, 1] and bad thresholds are refused, the counts kept") {
        const tensor<float, dyn> bad{0.5f, 1.5f, 0.2f, 0.1f};
        CHECK_THROWS_AS(pr.update_state(y, bad), tfx::value_error);
        CHECK_THAT(message_of([&] { rc.update_state(y, bad); }),
                   Catch::Contains("recall") && Catch::Contains("prediction 1.5") && Catch::Contains("index 1"));
        metrics::precision wrong{.threshold = 1.5};
        CHECK_THROWS_AS(wrong.update_state(y, p), tfx::value_error);
        CHECK_THROWS_AS(rc.update_state(y2, p), tfx::shape_error);
        CHECK(pr.true_positives == 3);
        CHECK(rc.false_negatives == 3);
    }
    pr.reset_state();
    rc.reset_state();
    CHECK(pr.result() == 0);
    CHECK(rc.result() == 0);
}

TEST_CASE("auc: the tf.keras documentation's example and simple curves", "[metrics]") {
    metrics::auc m{.num_thresholds = 3};
    CHECK(m.name() == "auc");
    // thresholds [-eps, 0.5, 1 + eps]: TP [2, 1, 0], FP [2, 0, 0]; TPR [1, 0.5, 0], FPR [1, 0, 0]:
    // (1 - 0) (1 + 0.5) / 2 + 0 = 0.75.
    m.update_state(tensor<std::int32_t, dyn>{0, 0, 1, 1}, tensor<float, dyn>{0, 0.5f, 0.3f, 0.9f});
    CHECK(m.result() == Approx(0.75));
    m.reset_state();
    CHECK(m.result() == 0);

    metrics::auc d;  // 200 thresholds
    const tensor<float, dyn> y{0, 0, 1, 1, 0, 1};
    d.update_state(y, tensor<float, dyn>{0.1f, 0.2f, 0.8f, 0.9f, 0.3f, 1.f});
    CHECK(d.result() == Approx(1.0));  // separated
    d.reset_state();
    d.update_state(y, tensor<float, dyn>{0.9f, 0.8f, 0.1f, 0.2f, 1.f, 0.f});
    CHECK(d.result() == Approx(0.0).margin(1e-12));  // reversed
    d.reset_state();
    d.update_state(y, tensor<float, dyn>{0.4f, 0.4f, 0.4f, 0.4f, 0.4f, 0.4f});
    CHECK(d.result() == Approx(0.5));  // all tied: the diagonal
    d.reset_state();
    d.update_state(tensor<float, dyn>{0, 0, 0}, tensor<float, dyn>{0.2f, 0.5f, 0.9f});
    CHECK(d.result() == 0);  // no positives: the rates are 0 (divide_no_nan)
}

TEST_CASE("auc equals the exact ROC AUC when the thresholds separate the predictions", "[metrics]") {
    // 11 thresholds: buckets (k/10, (k+1)/10]; predictions at bucket centres (k + 0.5) / 10 fall
    // strictly inside, so equal predictions share a bucket and different ones do not. The exact
    // ROC AUC is then P(score of a positive > score of a negative) + P(equal) / 2, counted pair by
    // pair over everything seen.
    tfx::random::generator gen{77};
    metrics::auc m{.num_thresholds = 11};
    std::vector<double> ys, ps;
    const double* const pos_data = m.positives.data();
    for (int batch = 0; batch < 4; ++batch) {
        const std::size_t n = 7 + std::size_t(batch) * 3;
        tensor<std::int64_t, dyn> y(n);
        tensor<double, dyn, 1> p(n);
        for (std::size_t i = 0; i < n; ++i) {
            y(i) = std::int64_t(gen.below(2));
            // Positives lean high: bucket from 0..9, shifted up by 3 for positives, capped.
            const std::size_t k = std::min<std::size_t>(9, std::size_t(gen.below(7)) + (y(i) ? 3 : 0));
            p(i, 0) = (double(k) + 0.5) / 10;
            ys.push_back(double(y(i)));
            ps.push_back(p(i, 0));
        }
        m.update_state(y, p);
        double wins = 0, pairs = 0;
        for (std::size_t a = 0; a < ys.size(); ++a)
            for (std::size_t b = 0; b < ys.size(); ++b)
                if (ys[a] == 1 && ys[b] == 0) {
                    pairs += 1;
                    wins += ps[a] > ps[b] ? 1.0 : ps[a] == ps[b] ? 0.5 : 0.0;
                }
        REQUIRE(pairs > 0);
        INFO("after batch " << batch);
        CHECK(m.result() == Approx(wins / pairs).epsilon(1e-12));
    }
    CHECK(m.positives.data() == pos_data);  // update_state never reallocates
}

TEST_CASE("auc refuses predictions outside [0, 1], bad shapes and fewer than 2 thresholds", "[metrics]") {
    metrics::auc m;
    m.update_state(tensor<double, dyn>{1, 0}, tensor<double, dyn>{0.7, 0.2});
    const tensor<double, dyn> y{1, 0, 1};
    CHECK_THROWS_AS(m.update_state(y, tensor<double, dyn>{0.5, -0.1, 0.2}), tfx::value_error);
    CHECK_THAT(message_of([&] { m.update_state(y, tensor<double, dyn>{0.5, -0.1, 0.2}); }),
               Catch::Contains("auc") && Catch::Contains("prediction -0.1"));
    CHECK_THROWS_AS(m.update_state(y, tensor<double, dyn>{0.5, 0.2}), tfx::shape_error);
    CHECK(m.result() == 1.0);  // the first batch only
    CHECK_THROWS_AS(metrics::auc{.num_thresholds = 1}, tfx::value_error);
}
