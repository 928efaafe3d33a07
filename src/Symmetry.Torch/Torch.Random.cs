using Symmetry.Torch.Native;

namespace Symmetry.Torch;

public static partial class Torch
{
    /// <summary>Seeds the global generators of the CPU and every CUDA device.</summary>
    public static void ManualSeed(ulong seed) => Check.Status(NativeMethods.symm_manual_seed(seed), "manual_seed");

    /// <summary>Uniform samples on [0, 1).</summary>
    public static unsafe Tensor Rand(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_random_rand(s, shape.Length, Generator.HandleOf(generator), (int)dtype, (int)d.Type, d.Index, out var r), r, "rand");
    }

    /// <summary>Standard normal samples.</summary>
    public static unsafe Tensor Randn(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_random_randn(s, shape.Length, Generator.HandleOf(generator), (int)dtype, (int)d.Type, d.Index, out var r), r, "randn");
    }

    /// <summary>Integers uniform on [low, high).</summary>
    public static unsafe Tensor RandInt(long low, long high, long[] shape, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        fixed (long* s = shape)
            return Check.Result(NativeMethods.symm_random_randint(low, high, s, shape.Length, Generator.HandleOf(generator), (int)dtype, (int)d.Type, d.Index, out var r), r, "randint");
    }

    /// <summary>A uniformly random permutation of 0 … n−1.</summary>
    public static Tensor RandPerm(long n, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Check.Result(NativeMethods.symm_random_randperm(n, Generator.HandleOf(generator), (int)dtype, (int)d.Type, d.Index, out var r), r, "randperm");
    }

    /// <summary>0/1 samples, each 1 with the probability given by the matching element of <paramref name="probabilities"/>.</summary>
    public static Tensor Bernoulli(Tensor probabilities, Generator? generator = null) =>
        Check.Result(NativeMethods.symm_random_bernoulli(probabilities.Handle, Generator.HandleOf(generator), out var r), r, "bernoulli");

    /// <summary>0/1 samples of shape <paramref name="shape"/>, each 1 with probability <paramref name="p"/>.</summary>
    public static Tensor Bernoulli(long[] shape, double p, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        using var probabilities = Full(shape, p, dtype, device);
        return Bernoulli(probabilities, generator);
    }

    /// <summary>Indices drawn from the categorical distribution(s) in the last dimension of <paramref name="probabilities"/>.</summary>
    public static Tensor Multinomial(Tensor probabilities, long samples, bool replacement = false, Generator? generator = null) =>
        Check.Result(NativeMethods.symm_random_multinomial(probabilities.Handle, samples, replacement ? 1 : 0, Generator.HandleOf(generator), out var r), r, "multinomial");
}
