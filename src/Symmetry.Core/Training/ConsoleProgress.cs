using System.Globalization;
using Spectre.Console;

namespace Symmetry.Core.Training;

/// <summary>Shows training progress: a Spectre.Console progress bar on an interactive terminal, plain lines (one per
/// evaluation) when output is redirected or <c>CI</c> is set.</summary>
public static class ConsoleProgress
{
    /// <summary>True when a live progress bar can be drawn.</summary>
    public static bool Interactive =>
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Runs <paramref name="trainer"/> with progress display; returns its last metrics.</summary>
    public static TrainingMetrics? Run(Trainer trainer, string title)
    {
        if (!Interactive)
        {
            trainer.AddCallback(new PlainLines());
            return trainer.Run();
        }
        TrainingMetrics? last = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title), maxValue: trainer.Options.Epochs);
                task.Value = trainer.Epoch;
                trainer.AddCallback(new BarUpdater(task));
                last = trainer.Run();
                task.Value = task.MaxValue;
            });
        return last;
    }

    /// <summary>One line describing an evaluation.</summary>
    public static string Describe(TrainingMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {m.Epoch:0.##} step {m.Step}: train loss {m.Train.Loss:0.0000} acc {m.Train.Accuracy:0.0000} | test loss {m.Test.Loss:0.0000} acc {m.Test.Accuracy:0.0000} | lr {m.LearningRate:G4} | ‖θ−θ₀‖ {m.DistanceFromInit:0.000} | {m.WallSeconds:0.0}s");

    private sealed class PlainLines : ITrainingCallback
    {
        public void OnEvaluation(Trainer trainer, TrainingMetrics metrics) => Console.WriteLine(Describe(metrics));
    }

    private sealed class BarUpdater(ProgressTask task) : ITrainingCallback
    {
        public void OnStep(Trainer trainer, double loss)
        {
            var (done, total) = trainer.EpochProgress;
            task.Value = trainer.Epoch + (total is { } n && n > 0 ? Math.Min(1, (double)done / n) : 0);
            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"epoch {trainer.Epoch + 1}/{trainer.Options.Epochs} loss {loss:0.000}"));
        }

        public void OnEvaluation(Trainer trainer, TrainingMetrics metrics) =>
            AnsiConsole.MarkupLine(Markup.Escape(Describe(metrics)));
    }
}
