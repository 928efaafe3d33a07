using TorchSharp;

namespace Symmetry.Torch;

/// <summary>One generator per purpose (design rule 3): init, data order, augmentation, dropout, masks, matching each
/// draw from their own stream, seeded by <see cref="Seeds.Derive"/> from the run's master seed.</summary>
public static class Generators
{
    /// <summary>A CPU generator seeded with <c>Seeds.Derive(seed, label)</c>.</summary>
    public static torch.Generator ForPurpose(ulong seed, string label)
    {
        TorchRuntime.Ensure();
        return new torch.Generator(Seeds.Derive(seed, label));
    }

    /// <summary>A CPU generator seeded with <paramref name="seed"/> itself.</summary>
    public static torch.Generator Create(ulong seed)
    {
        TorchRuntime.Ensure();
        return new torch.Generator(seed);
    }

    /// <summary>The generator's state as bytes (for checkpoints).</summary>
    public static byte[] GetState(torch.Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    /// <summary>Restores a state taken by <see cref="GetState"/>.</summary>
    public static void SetState(torch.Generator generator, byte[] state)
    {
        using var tensor = torch.tensor(state, dtype: torch.ScalarType.Byte);
        generator.set_state(tensor);
    }
}
