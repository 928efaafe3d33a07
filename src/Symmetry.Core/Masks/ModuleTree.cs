using TorchSharp;

namespace Symmetry.Core.Masks;

/// <summary>Walks a TorchSharp module tree the way PyTorch's <c>named_modules()</c> does.</summary>
/// <remarks>TorchSharp's <c>named_modules()</c> leaves the root out and lists every child before any grandchild
/// (breadth first per level); masks, pruning and permutation specs need definition order, so they walk
/// <c>named_children()</c> depth first instead.</remarks>
internal static class ModuleTree
{
    /// <summary>The root (name "") and then every descendant in definition order (pre-order, depth first), with
    /// dotted names; a module reachable twice is listed once.</summary>
    public static IEnumerable<(string Name, torch.nn.Module Module)> Modules(torch.nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var seen = new HashSet<torch.nn.Module>(ReferenceEqualityComparer.Instance);
        return Walk(root, "", seen);
    }

    private static IEnumerable<(string Name, torch.nn.Module Module)> Walk(torch.nn.Module module, string name, HashSet<torch.nn.Module> seen)
    {
        if (!seen.Add(module)) yield break;
        yield return (name, module);
        foreach (var (childName, child) in module.named_children())
            foreach (var item in Walk(child, name.Length == 0 ? childName : name + "." + childName, seen))
                yield return item;
    }

    /// <summary><paramref name="prefix"/>.<paramref name="member"/>, or the member alone at the root.</summary>
    public static string Join(string prefix, string member) => prefix.Length == 0 ? member : prefix + "." + member;
}
