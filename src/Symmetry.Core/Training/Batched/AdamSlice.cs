using System.Runtime.Intrinsics;
using Symmetry.Torch.Optimizers;

namespace Symmetry.Core.Training.Batched;

/// <summary>One Adam or AdamW step's scalars in float32, as libtorch applies a double Scalar to a float tensor.</summary>
internal readonly record struct AdamScalars(float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Eps,
    float Decay, float L2, float StepSize, float Correction)
{
    /// <summary>The scalars of <paramref name="step"/> (TorchSharp's <c>step()</c> computes the same doubles).</summary>
    public static AdamScalars Of(AdaptiveMomentStep step)
    {
        var biasCorrection1 = 1 - Math.Pow(step.Beta1, step.Step);
        var biasCorrection2 = 1 - Math.Pow(step.Beta2, step.Step);
        return new((float)step.Beta1, (float)(1 - step.Beta1), (float)step.Beta2, (float)(1 - step.Beta2), (float)step.Eps,
            step.Decoupled ? (float)(1 - step.LearningRate * step.WeightDecay) : 1f, step.Decoupled ? 0f : (float)step.WeightDecay,
            (float)(-(step.LearningRate / biasCorrection1)), (float)Math.Sqrt(biasCorrection2));
    }
}

/// <summary>
/// Adam's update of one contiguous run of a parameter with its gradient and moments, in one pass, as
/// <see cref="AdaptiveMoments"/> computes it tensor by tensor: g ← m·(g [+ wd·θ]); θ ← θ·(1 − lr·wd) for AdamW;
/// m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²; θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε); θ ← θ·mask.
/// </summary>
internal static class AdamSlice
{
    /// <summary>Updates <paramref name="parameter"/>, <paramref name="first"/> and <paramref name="second"/> in place from
    /// <paramref name="gradient"/> (masked by <paramref name="mask"/> unless it is empty); returns Σ of the masked
    /// gradient's squares.</summary>
    public static float Update(Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> first, Span<float> second,
        ReadOnlySpan<float> mask, AdamScalars s)
    {
        var n = parameter.Length;
        var squares = Vector512<float>.Zero;
        var i = 0;
        for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
        {
            var g = Vector512.Create(gradient[i..]);
            var masked = mask.IsEmpty ? Vector512<float>.One : Vector512.Create(mask[i..]);
            if (!mask.IsEmpty) g *= masked;
            squares += g * g;
            var p = Vector512.Create((ReadOnlySpan<float>)parameter[i..]);
            if (s.L2 != 0) g += Vector512.Create(s.L2) * p;
            p *= Vector512.Create(s.Decay);
            var m = Vector512.Create((ReadOnlySpan<float>)first[i..]) * Vector512.Create(s.Beta1) + Vector512.Create(s.OneMinusBeta1) * g;
            var v = Vector512.Create((ReadOnlySpan<float>)second[i..]) * Vector512.Create(s.Beta2) + Vector512.Create(s.OneMinusBeta2) * g * g;
            var denominator = Vector512.Sqrt(v) / Vector512.Create(s.Correction) + Vector512.Create(s.Eps);
            p += Vector512.Create(s.StepSize) * (m / denominator);
            if (!mask.IsEmpty) p *= masked;
            m.CopyTo(first[i..]);
            v.CopyTo(second[i..]);
            p.CopyTo(parameter[i..]);
        }
        var sum = Vector512.Sum(squares);
        for (; i < n; i++)
        {
            var g = gradient[i];
            if (!mask.IsEmpty) g *= mask[i];
            sum += g * g;
            var p = parameter[i];
            if (s.L2 != 0) g += s.L2 * p;
            p *= s.Decay;
            var m = first[i] * s.Beta1 + s.OneMinusBeta1 * g;
            var v = second[i] * s.Beta2 + s.OneMinusBeta2 * g * g;
            p += s.StepSize * (m / (MathF.Sqrt(v) / s.Correction + s.Eps));
            if (!mask.IsEmpty) p *= mask[i];
            first[i] = m;
            second[i] = v;
            parameter[i] = p;
        }
        return sum;
    }
}
