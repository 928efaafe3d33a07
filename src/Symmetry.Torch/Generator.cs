using Symmetry.Torch.Native;

namespace Symmetry.Torch;

/// <summary>
/// A seeded random stream (a libtorch CPU generator). Draws for a GPU tensor are made on the CPU and copied,
/// so one seed gives the same numbers on every device. The state can be saved and restored to continue a stream.
/// </summary>
public sealed class Generator : IDisposable
{
    internal GeneratorHandle Handle { get; }

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public Generator(ulong seed)
    {
        Check.Status(NativeMethods.symm_generator_new(seed, out var pointer), "generator_new");
        Handle = new GeneratorHandle(pointer);
    }

    /// <summary>A generator seeded from (<paramref name="seed"/>, <paramref name="label"/>) by <see cref="Seeds.Derive"/>,
    /// so that each purpose (init, data order, masks, …) has its own stream.</summary>
    public static Generator ForPurpose(ulong seed, string label) => new(Seeds.Derive(seed, label));

    /// <summary>The seed the generator started from.</summary>
    public ulong InitialSeed
    {
        get
        {
            Check.Status(NativeMethods.symm_generator_seed(Handle, out var seed), "generator_seed");
            return seed;
        }
    }

    /// <summary>The full state, to be restored later with <see cref="SetState"/>.</summary>
    public unsafe byte[] GetState()
    {
        Check.Status(NativeMethods.symm_generator_get_state(Handle, null, 0, out var length), "generator_get_state");
        var state = new byte[length];
        fixed (byte* buffer = state)
            Check.Status(NativeMethods.symm_generator_get_state(Handle, buffer, length, out _), "generator_get_state");
        return state;
    }

    /// <summary>Restores a state from <see cref="GetState"/>: the stream continues from where it was saved.</summary>
    public unsafe void SetState(byte[] state)
    {
        fixed (byte* buffer = state)
            Check.Status(NativeMethods.symm_generator_set_state(Handle, buffer, state.Length), "generator_set_state");
    }

    /// <summary>Frees the native generator.</summary>
    public void Dispose() => Handle.Dispose();

    internal static GeneratorHandle HandleOf(Generator? generator) => generator?.Handle ?? GeneratorHandle.Null;
}
