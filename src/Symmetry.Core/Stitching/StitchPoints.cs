using System.Globalization;
using Symmetry.Core.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Symmetry.Core.Stitching;

/// <summary>
/// Where a zoo model can be cut for stitching: after a ReLU, named by its <c>named_modules</c> path. A point is a
/// <see cref="ReLU"/> entry of the model's Sequential (or of a nested one, e.g. a ResNet stage), or a residual block
/// whose output is a ReLU (<see cref="BasicBlock"/>, <see cref="Residual"/> with ReLU after the sum), e.g.
/// <c>layers.2</c> or <c>layers.3.1</c>. The model continues after the point with the entries that follow it, then
/// with those that follow each enclosing Sequential.
/// </summary>
public static class StitchPoints
{
    /// <summary>Every cut point of <paramref name="model"/>, in forward order.</summary>
    public static IReadOnlyList<string> Of(ZooModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var points = new List<string>();
        Collect(model.Layers, "layers", points);
        return points;
    }

    /// <summary>The entries of <paramref name="model"/> that run up to and including <paramref name="point"/> (the head),
    /// and those that run after it (the tail), in forward order; composing head then tail is the model's forward.</summary>
    /// <exception cref="ArgumentException"><paramref name="point"/> is not a cut point; the message lists the valid ones.</exception>
    public static StitchSplit Split(ZooModel model, string point)
    {
        Require(model, point);
        var indices = point.Split('.').Skip(1).Select(p => int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
        var head = new List<nn.Module<Tensor, Tensor>>();
        var levels = new List<(List<nn.Module<Tensor, Tensor>> Children, int Index)>();
        nn.Module<Tensor, Tensor> current = model.Layers;
        foreach (var index in indices)
        {
            var children = Children((Sequential)current);
            levels.Add((children, index));
            head.AddRange(children.Take(index));
            current = children[index];
        }
        head.Add(current);
        var tail = new List<nn.Module<Tensor, Tensor>>();
        for (var level = levels.Count - 1; level >= 0; level--)
            tail.AddRange(levels[level].Children.Skip(levels[level].Index + 1));
        return new StitchSplit(head, tail);
    }

    /// <summary>Throws unless <paramref name="point"/> is a cut point of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">Not a cut point; the message names the model and lists the valid points.</exception>
    public static void Require(ZooModel model, string point)
    {
        var points = Of(model);
        if (!points.Contains(point, StringComparer.Ordinal))
            throw new ArgumentException(points.Count == 0
                ? $"model '{model.Name}' has no ReLU to stitch after"
                : $"model '{model.Name}' has no ReLU output at '{point}': stitch after one of {string.Join(", ", points)}", nameof(point));
    }

    private static void Collect(Sequential sequential, string path, List<string> points)
    {
        var children = Children(sequential);
        for (var i = 0; i < children.Count; i++)
        {
            var name = path + "." + i.ToString(CultureInfo.InvariantCulture);
            switch (children[i])
            {
                case ReLU:
                case BasicBlock:
                case Residual { ReluAfter: true }:
                    points.Add(name);
                    break;
                case Sequential nested:
                    Collect(nested, name, points);
                    break;
            }
        }
    }

    private static List<nn.Module<Tensor, Tensor>> Children(Sequential sequential) =>
        sequential.children().Cast<nn.Module<Tensor, Tensor>>().ToList();
}

/// <summary>A model's entries split at a cut point: <see cref="Head"/> runs up to and including it, <see cref="Tail"/> after it.</summary>
/// <param name="Head">The entries up to the point, in forward order (still owned by the model).</param>
/// <param name="Tail">The entries after the point, in forward order (still owned by the model).</param>
public sealed record StitchSplit(IReadOnlyList<nn.Module<Tensor, Tensor>> Head, IReadOnlyList<nn.Module<Tensor, Tensor>> Tail);
