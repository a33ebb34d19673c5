using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CostConsole.Routing.Caching;

/// <summary>
/// Symmetric int8 quantisation of a vector (one scale per vector, code = round(x / scale)), with what it takes to bound
/// how far a product of codes can be from the product of the float vectors: the norm of the code's vector and of the
/// rounding error.
/// </summary>
internal static class QuantisedVector
{
    /// <summary>Room for the float arithmetic of the bound itself and of the rerank (far above either's rounding).</summary>
    public const float Slack = 1e-3f;

    /// <summary>A code's scale, the norm of its rounding error, and the norm of the float vector it stands for.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly record struct Meta(float Scale, float Error, float Norm);

    /// <summary>A query's code widened to 16 bits once, so each entry costs one multiply-add pass.</summary>
    public readonly record struct QueryCode(short[] Code, float Scale, float Error, float CodeNorm);

    public static (sbyte[] Code, Meta Meta) Of(ReadOnlySpan<float> vector)
    {
        var code = new sbyte[vector.Length];
        var (scale, error, norm, _) = Quantise(vector, code);
        return (code, new Meta(scale, error, norm));
    }

    public static QueryCode Query(ReadOnlySpan<float> vector)
    {
        var code = new sbyte[vector.Length];
        var (scale, error, _, codeNorm) = Quantise(vector, code);
        var wide = new short[vector.Length];
        for (var i = 0; i < code.Length; i++)
        {
            wide[i] = code[i];
        }

        return new QueryCode(wide, scale, error, codeNorm);
    }

    /// <summary>The integer product of a query's widened code and an entry's code.</summary>
    public static int Dot(short[] query, ReadOnlySpan<sbyte> code)
    {
        ref var q = ref MemoryMarshal.GetArrayDataReference(query);
        ref var c = ref MemoryMarshal.GetReference(code);
        var i = 0;
        var total = 0;
        if (Avx512BW.IsSupported && code.Length >= Vector512<sbyte>.Count)
        {
            var sum = Vector512<int>.Zero;
            for (; i <= code.Length - Vector512<sbyte>.Count; i += Vector512<sbyte>.Count)
            {
                var (lower, upper) = Vector512.Widen(Vector512.LoadUnsafe(ref c, (nuint)i));
                sum += Avx512BW.MultiplyAddAdjacent(lower, Vector512.LoadUnsafe(ref q, (nuint)i));
                sum += Avx512BW.MultiplyAddAdjacent(upper, Vector512.LoadUnsafe(ref q, (nuint)(i + Vector512<short>.Count)));
            }

            total = Vector512.Sum(sum);
        }
        else if (Avx2.IsSupported && code.Length >= Vector256<sbyte>.Count)
        {
            var sum = Vector256<int>.Zero;
            for (; i <= code.Length - Vector256<sbyte>.Count; i += Vector256<sbyte>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref c, (nuint)i));
                sum += Avx2.MultiplyAddAdjacent(lower, Vector256.LoadUnsafe(ref q, (nuint)i));
                sum += Avx2.MultiplyAddAdjacent(upper, Vector256.LoadUnsafe(ref q, (nuint)(i + Vector256<short>.Count)));
            }

            total = Vector256.Sum(sum);
        }

        for (; i < code.Length; i++)
        {
            total += Unsafe.Add(ref q, i) * Unsafe.Add(ref c, i);
        }

        return total;
    }

    private static (float Scale, float Error, float Norm, float CodeNorm) Quantise(ReadOnlySpan<float> vector, Span<sbyte> code)
    {
        var max = 0f;
        foreach (var x in vector)
        {
            max = Math.Max(max, Math.Abs(x));
        }

        var scale = max > 0 ? max / 127f : 1f;
        double error = 0, norm = 0, codeNorm = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            var q = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127f, 127f);
            code[i] = q;
            var restored = (double)q * scale;
            error += (vector[i] - restored) * (vector[i] - restored);
            norm += (double)vector[i] * vector[i];
            codeNorm += restored * restored;
        }

        return (scale, (float)Math.Sqrt(error), (float)Math.Sqrt(norm), (float)Math.Sqrt(codeNorm));
    }
}
