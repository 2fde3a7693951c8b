#pragma once
// Definitions of model.hpp's plain functions: fit's epoch loop (core/inline.hpp: inline here unless
// TFX_COMPILED_LIB; then src/tfx.cpp compiles them once).
#include "../model.hpp"

namespace tfx::models::detail {

TFX_INLINE bool fit_run::after_step() {
    hooks.results(batch_logs);
    for (auto& c : cbs) c.on_train_batch_end(ctx, batch, batch_logs);
    ++batch;
    return !ctx.stop_training;
}

TFX_INLINE history run_fit(fit_hooks& hooks, int epochs, int verbose, const std::vector<callbacks::callback>& callbacks,
                           distribute::strategy* strategy) {
    if (epochs < 0) throw value_error("tfx: fit: epochs must be >= 0, got " + std::to_string(epochs));
    // Data-parallel: only rank 0 prints and writes files (progress bar, checkpoints, TensorBoard,
    // CSV); every other callback runs on every rank, with the same logs.
    const bool chief = !strategy || strategy->is_chief();
    std::vector<callbacks::callback> cbs;
    if (verbose != 0 && chief) cbs.push_back(callbacks::progbar{.verbose = verbose});
    bool nan_guard = false;
    for (const auto& c : callbacks) {
        if (!chief && (c.target<callbacks::model_checkpoint>() || c.target<callbacks::tensorboard>() ||
                       c.target<callbacks::csv_logger>() || c.target<callbacks::progbar>()))
            continue;
        cbs.push_back(c);
        if (cbs.back().target<callbacks::terminate_on_nan>()) nan_guard = true;
    }
    callbacks::training_context ctx;
    ctx.epochs = epochs;
    ctx.verbose = chief ? verbose : 0;
    ctx.rank = strategy ? strategy->rank() : 0;
    ctx.num_replicas = strategy ? strategy->num_replicas() : 1;
    ctx.save_checkpoint = [&hooks](const std::string& path) { hooks.save_weights(path); };
    // A snapshot of every variable's values (early_stopping's best weights), and its restore.
    ctx.get_weights = [&hooks]() -> std::any {
        std::vector<std::vector<double>> w;
        for (const auto& v : hooks.variables()) {
            auto& values = w.emplace_back(v.size);
            for (std::size_t i = 0; i < v.size; ++i) values[i] = v.load(v.data, i);
        }
        return w;
    };
    ctx.set_weights = [&hooks](const std::any& a) {
        const auto& w = std::any_cast<const std::vector<std::vector<double>>&>(a);
        std::size_t k = 0;
        for (const auto& v : hooks.variables()) {
            const auto& values = w[k++];
            for (std::size_t i = 0; i < v.size; ++i) v.store(v.data, i, values[i]);
        }
    };
    ctx.write_histograms = [&hooks](summary::file_writer& wr, std::int64_t step) {
        std::vector<double> values;
        for (const auto& v : hooks.variables()) {
            values.resize(v.size);
            for (std::size_t i = 0; i < v.size; ++i) values[i] = v.load(v.data, i);
            wr.histogram(v.name, values, step);
        }
    };
    history h;
    tfx::logs epoch_logs, batch_logs;
    struct strategy_scope {  // the compiled step averages across ranks while fit runs
        fit_hooks& hooks;
        ~strategy_scope() { hooks.set_strategy(nullptr); }
    } scope{hooks};
    fit_run run{hooks, cbs, ctx, batch_logs, strategy, nan_guard};
    try {
        if (strategy) {
            run.collective = true;  // broadcast_variables checks the model on every rank alike
            strategy->broadcast_views(hooks.variables());
            run.collective = false;
            hooks.set_strategy(strategy);
        }
        for (auto& c : cbs) c.on_train_begin(ctx);
        for (int e = 0; e < epochs && !ctx.stop_training; ++e) {
            for (auto& c : cbs) c.on_epoch_begin(ctx, e);
            hooks.reset_metrics();
            run.batch = 0;
            const std::int64_t steps = hooks.run_epoch(run);
            if (ctx.steps < 0) ctx.steps = steps;
            if (strategy) hooks.average_state_variables(*strategy);
            epoch_logs.clear();
            hooks.results(epoch_logs);
            if (hooks.validates()) {
                const tfx::logs v = hooks.validate();
                for (const auto& [k, val] : v) epoch_logs["val_" + k] = val;
            }
            for (auto& c : cbs) c.on_epoch_end(ctx, e, epoch_logs);
            h.epochs.push_back(epoch_logs);
        }
        for (auto& c : cbs) c.on_train_end(ctx, epoch_logs);
    } catch (const std::exception& err) {
        // A failure on this rank alone would leave the others waiting in their next collective:
        // end the job instead (every rank stops; this one says why).
        if (strategy && !run.collective)
            strategy->abort("tfx: fit: rank " + std::to_string(strategy->rank()) + " failed: " + err.what());
        throw;
    }
    return h;
}

}  // namespace tfx::models::detail
