namespace Symmetry.Bench;

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Symmetry.Torch;
using TorchSharp;
using static TorchSharp.torch;

/// <summary><c>op-profile</c> (opt-in, not part of the default run): where the time of one <c>op-overhead</c> op goes,
/// layer by layer — a raw P/Invoke into libLibTorchSharp, its add and dispose called through raw function pointers
/// (no TorchSharp wrapper), wrapper-sized allocations, and TorchSharp itself with different disposal patterns. Prints
/// <c>profile:</c> lines in ns/op.</summary>
internal static unsafe class OpProfile
{
    public const string Name = "op-profile";
    private const int Iterations = 50_000;
    private const int Rounds = 15;
    private const string TorchSharpNative = "libLibTorchSharp.so";
    private static readonly List<(string What, Action<int> Body)> Variants = [];

    public static void Run(int threads)
    {
        // No scope is open here: the caller owns a and b.
        using var a = full([8, 8], 0.5);
        using var b = full([8, 8], 0.25);
        using var one = 1.ToScalar();
        AddRawVariants(a, b);
        Add("TorchSharp a.alias(), using/Dispose, no scope", n => { for (var i = 0; i < n; i++) { using var c = a.alias(); } });
        Add("TorchSharp a.alias(), scope per 100 ops", n =>
        {
            for (var done = 0; done < n; done += 100)
            {
                using var s = NewDisposeScope();
                for (var i = 0; i < 100; i++) _ = a.alias();
            }
        });
        Add("TorchSharp a+b, using/Dispose, no scope", n => { for (var i = 0; i < n; i++) { using var c = a + b; } });
        Add("TorchSharp a.add(b, one), reused Scalar", n => { for (var i = 0; i < n; i++) { using var c = a.add(b, one); } });
        Add("TorchSharp a+b, scope per 100 ops (bench)", n =>
        {
            for (var done = 0; done < n; done += 100)
            {
                using var s = NewDisposeScope();
                for (var i = 0; i < 100; i++) _ = a + b;
            }
        });
        Add("TorchSharp a+b, one scope per op", n =>
        {
            for (var i = 0; i < n; i++) { using var s = NewDisposeScope(); _ = a + b; }
        });
        Add("TorchSharp a+b, using/Dispose in one long scope", n =>
        {
            using var s = NewDisposeScope();
            for (var i = 0; i < n; i++) { using var c = a + b; }
        });
        Add("SafeHandle alloc+Dispose (no native call)", n => { for (var i = 0; i < n; i++) new DummyHandle().Dispose(); });
        Measure();
        Console.WriteLine($"profile: GC counts so far gen0/1/2 = {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
    }

    /// <summary>libLibTorchSharp's own entry points through raw function pointers: what TorchSharp adds on top of them
    /// is the difference to the TorchSharp lines. Skipped where the library is not a file TorchRuntime loaded.</summary>
    private static void AddRawVariants(Tensor a, Tensor b)
    {
        var path = TorchRuntime.NativeFolders.Select(f => Path.Combine(f, TorchSharpNative)).FirstOrDefault(File.Exists);
        if (path is null)
        {
            Console.WriteLine($"profile: raw layers skipped ({TorchSharpNative} not among TorchRuntime.NativeFolders)");
            return;
        }
        var library = NativeLibrary.Load(path); // already loaded by TorchRuntime.Ensure(): the same handle
        var lastError = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(library, "THSTorch_get_and_reset_last_err");
        var lastErrorNoTransition = (delegate* unmanaged[SuppressGCTransition]<IntPtr>)NativeLibrary.GetExport(library, "THSTorch_get_and_reset_last_err");
        var toScalar = (delegate* unmanaged<long, IntPtr>)NativeLibrary.GetExport(library, "THSTorch_int64_to_scalar");
        var disposeScalar = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(library, "THSTorch_dispose_scalar");
        var add = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr>)NativeLibrary.GetExport(library, "THSTensor_add");
        var addNoTransition = (delegate* unmanaged[SuppressGCTransition]<IntPtr, IntPtr, IntPtr, IntPtr>)NativeLibrary.GetExport(library, "THSTensor_add");
        var alias = (delegate* unmanaged<IntPtr, IntPtr>)NativeLibrary.GetExport(library, "THSTensor_alias");
        var dispose = (delegate* unmanaged<IntPtr, void>)NativeLibrary.GetExport(library, "THSTensor_dispose");
        var disposeNoTransition = (delegate* unmanaged[SuppressGCTransition]<IntPtr, void>)NativeLibrary.GetExport(library, "THSTensor_dispose");
        IntPtr ra = a.Handle, rb = b.Handle;

        Add("P/Invoke no-op (get_and_reset_last_err)", n => { for (var i = 0; i < n; i++) _ = lastError(); });
        Add("P/Invoke no-op, SuppressGCTransition", n => { for (var i = 0; i < n; i++) _ = lastErrorNoTransition(); });
        Add("native add+dispose, raw pointers", n =>
        {
            var alpha = toScalar(1);
            for (var i = 0; i < n; i++) dispose(Check(add(ra, rb, alpha)));
            disposeScalar(alpha);
        });
        Add("native add+dispose, raw, SuppressGCTransition", n =>
        {
            var alpha = toScalar(1);
            for (var i = 0; i < n; i++) disposeNoTransition(Check(addNoTransition(ra, rb, alpha)));
            disposeScalar(alpha);
        });
        Add("native add+dispose+Scalar per op, raw", n =>
        {
            for (var i = 0; i < n; i++)
            {
                var alpha = toScalar(1);
                dispose(Check(add(ra, rb, alpha)));
                disposeScalar(alpha);
            }
        });
        Add("native alias+dispose, raw pointers", n => { for (var i = 0; i < n; i++) dispose(Check(alias(ra))); });
        Lean.Free = dispose;
        Add("lean wrapper alias+Dispose (plain class)", n => { for (var i = 0; i < n; i++) { using var t = new Lean(Check(alias(ra))); } });
        Add("lean wrapper alias+Dispose (with finalizer)", n => { for (var i = 0; i < n; i++) { using var t = new FinalizableLean(Check(alias(ra))); } });
        Add("lean wrapper add+Dispose (plain class)", n =>
        {
            var alpha = toScalar(1);
            for (var i = 0; i < n; i++) { using var t = new Lean(Check(add(ra, rb, alpha))); }
            disposeScalar(alpha);
        });
    }

    private static void Add(string what, Action<int> body) => Variants.Add((what, body));

    /// <summary>Runs the variants round-robin, <see cref="Rounds"/> chunks of <see cref="Iterations"/> each, so that
    /// all of them see the same machine load, and prints per variant the median wall time, CPU time of this thread
    /// and CPU time of the process (both far less disturbed than wall time when other processes share the cores).</summary>
    private static void Measure()
    {
        foreach (var (_, body) in Variants) body(Iterations);
        var wall = Variants.Select(_ => new double[Rounds]).ToArray();
        var cpu = Variants.Select(_ => new double[Rounds]).ToArray();
        var processCpu = Variants.Select(_ => new double[Rounds]).ToArray();
        for (var r = 0; r < Rounds; r++)
            for (var v = 0; v < Variants.Count; v++)
            {
                var processStart = Harness.ProcessCpuSeconds();
                var cpuStart = Harness.ThreadCpuSeconds();
                var stopwatch = Stopwatch.StartNew();
                Variants[v].Body(Iterations);
                wall[v][r] = stopwatch.Elapsed.TotalSeconds / Iterations * 1e9;
                cpu[v][r] = (Harness.ThreadCpuSeconds() - cpuStart) / Iterations * 1e9;
                processCpu[v][r] = (Harness.ProcessCpuSeconds() - processStart) / Iterations * 1e9;
            }
        for (var v = 0; v < Variants.Count; v++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile: {Variants[v].What,-46} wall {Harness.Median(wall[v]),7:0.0} ns/op  thread-cpu {Harness.Median(cpu[v]),7:0.0} (min {cpu[v].Min(),7:0.0})  process-cpu {Harness.Median(processCpu[v]),7:0.0}"));
        Variants.Clear();
    }

    /// <summary>libLibTorchSharp returns null and records the error when an op fails.</summary>
    private static IntPtr Check(IntPtr handle) =>
        handle != IntPtr.Zero ? handle : throw new InvalidOperationException("a libLibTorchSharp call failed");

    /// <summary>What a tensor wrapper without SafeHandle and without finalizer would cost: one object, one free.</summary>
    private sealed class Lean(IntPtr pointer) : IDisposable
    {
        public static delegate* unmanaged<IntPtr, void> Free;
        private IntPtr pointer = pointer;

        public void Dispose()
        {
            if (pointer == IntPtr.Zero) return;
            Free(pointer);
            pointer = IntPtr.Zero;
        }
    }

    /// <summary><see cref="Lean"/> plus a (leak-counting) finalizer, suppressed on Dispose.</summary>
    private sealed class FinalizableLean(IntPtr pointer) : IDisposable
    {
        private IntPtr pointer = pointer;

        ~FinalizableLean() { }

        public void Dispose()
        {
            if (pointer == IntPtr.Zero) return;
            Lean.Free(pointer);
            pointer = IntPtr.Zero;
            GC.SuppressFinalize(this);
        }
    }

    private sealed class DummyHandle : SafeHandle
    {
        public DummyHandle() : base(IntPtr.Zero, ownsHandle: true) => SetHandle(1);
        public override bool IsInvalid => handle == IntPtr.Zero;
        protected override bool ReleaseHandle() => true;
    }
}
