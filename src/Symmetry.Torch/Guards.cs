using TorchSharp;

namespace Symmetry.Torch;

/// <summary>Global runtime state changed through disposable guards that restore it (design rule 11).</summary>
public static class Guards
{
    /// <summary>Sets libtorch's intra-op thread count until disposed.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count below 1.</exception>
    public static IDisposable Threads(int count)
    {
        TorchRuntime.Ensure();
        var previous = torch.get_num_threads();
        SetThreads(count);
        return new Restore(() => torch.set_num_threads(previous));
    }

    /// <summary>Sets libtorch's intra-op thread count (checked: at least 1).</summary>
    public static void SetThreads(int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "the thread count must be at least 1");
        TorchRuntime.Ensure();
        torch.set_num_threads(count);
    }

    /// <summary>Puts <paramref name="module"/> in training (true) or eval (false) mode until disposed.</summary>
    public static IDisposable Mode(torch.nn.Module module, bool training)
    {
        var previous = module.training;
        module.train(training);
        return new Restore(() => module.train(previous));
    }

    /// <summary>Sets autograd's grad mode until disposed (<c>torch.no_grad()</c> for the common case).</summary>
    public static IDisposable GradMode(bool enabled)
    {
        var previous = torch.is_grad_enabled();
        torch.set_grad_enabled(enabled);
        return new Restore(() => torch.set_grad_enabled(previous));
    }

    private sealed class Restore(Action restore) : IDisposable
    {
        private Action? pending = restore;

        public void Dispose()
        {
            pending?.Invoke();
            pending = null;
        }
    }
}
