using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The few directions along which a partition's vectors vary most (the top eigenvectors of their second-moment
/// matrix), used as a prefilter with a proven upper bound. Any vector splits into its projection p = U·v and a residual
/// r = v − Uᵀ·p, and for two vectors a·b = pa·pb + ra·rb − paᵀ·E·pb, where E = U·Uᵀ − I is how far the basis is from
/// orthonormal (measured once, when fitted). So a·b ≤ pa·pb + ‖ra‖·‖rb‖ + ‖E‖·‖pa‖·‖pb‖ for any vectors, fitted on or
/// not; with pa·pb taken from int8 codes, the quantisation's error bound is added as for the full codes. An entry whose
/// bound falls below the threshold cannot reach it, so it is skipped having read a sixth of its full code.
/// </summary>
internal sealed class PrincipalSubspace
{
    /// <summary>Directions kept: at 384 dimensions, a random unit vector keeps ~83% of its energy in the residual.</summary>
    public const int Directions = 64;

    /// <summary>Vectors the second-moment matrix is estimated from; more changes the basis little and costs a refit more.</summary>
    private const int SampleSize = 2048;

    /// <summary>Row-major, <see cref="Directions"/> rows of <see cref="Dimensions"/>.</summary>
    private readonly double[] _basis;

    private readonly double _drift;

    private PrincipalSubspace(double[] basis, int dimensions, double drift)
    {
        _basis = basis;
        _drift = drift;
        Dimensions = dimensions;
        Drift = MathF.BitIncrement((float)drift);
    }

    /// <summary>A per-entry share of the bound: the int8 code's scale, its rounding error's norm, the projection's norm and the residual's norm.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly record struct Meta(float Scale, float Error, float Norm, float Residual);

    /// <summary>A query's projection code widened to 16 bits and the query's factors of each term of the bound.</summary>
    public readonly record struct QueryCode(short[] Code, float Scale, float CodeNorm, float ErrorAndDrift, float Residual);

    public int Dimensions { get; }

    /// <summary>An upper bound on the spectral norm of U·Uᵀ − I (its Frobenius norm).</summary>
    public float Drift { get; }

    /// <summary>The basis of <see cref="Directions"/> directions fitted on (an even sample of) the first <paramref name="count"/> vectors.</summary>
    public static PrincipalSubspace Fit(Func<int, float[]> vectorAt, int count, int dimensions)
    {
        var take = Math.Min(count, SampleSize);
        var sample = Matrix<double>.Build.Dense(take, dimensions);
        for (var row = 0; row < take; row++)
        {
            var vector = vectorAt((int)((long)row * count / take));
            for (var j = 0; j < dimensions; j++)
            {
                sample[row, j] = vector[j];
            }
        }

        // Uncentred on purpose: the bound is about a·b itself, so the subspace through the origin that keeps most of the
        // vectors' energy (the common direction of an embedding model's output included) leaves the smallest residuals.
        var moments = sample.TransposeThisAndMultiply(sample);
        var evd = moments.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, dimensions).OrderByDescending(i => evd.EigenValues[i].Real).Take(Directions).ToArray();
        var basis = new double[Directions * dimensions];
        for (var row = 0; row < Directions; row++)
        {
            var column = evd.EigenVectors.Column(order[row]);
            var norm = column.L2Norm();
            for (var j = 0; j < dimensions; j++)
            {
                basis[(row * dimensions) + j] = column[j] / norm;
            }
        }

        double drift = 0;
        for (var a = 0; a < Directions; a++)
        {
            for (var b = 0; b < Directions; b++)
            {
                var product = Dot(basis.AsSpan(a * dimensions, dimensions), basis.AsSpan(b * dimensions, dimensions)) - (a == b ? 1 : 0);
                drift += product * product;
            }
        }

        return new PrincipalSubspace(basis, dimensions, Math.Sqrt(drift));
    }

    /// <summary>An entry's projection as int8 code, with its share of the bound.</summary>
    public Meta Of(ReadOnlySpan<float> vector, Span<sbyte> code)
    {
        Span<double> projection = stackalloc double[Directions];
        var residual = Project(vector, projection);
        var (scale, error, norm, _) = Quantise(projection, code);
        return new Meta(scale, error, norm, residual);
    }

    public QueryCode Query(ReadOnlySpan<float> vector)
    {
        Span<double> projection = stackalloc double[Directions];
        var residual = Project(vector, projection);
        Span<sbyte> code = stackalloc sbyte[Directions];
        var (scale, error, norm, codeNorm) = Quantise(projection, code);
        var wide = new short[Directions];
        for (var i = 0; i < Directions; i++)
        {
            wide[i] = code[i];
        }

        return new QueryCode(wide, scale, codeNorm, error + (Drift * norm), residual);
    }

    /// <summary>
    /// Fills the projection and returns the residual's norm, all in double so their rounding is far below the bound's
    /// slack. ‖r‖² = ‖v‖² − ‖p‖² + pᵀ·E·p exactly, and |pᵀ·E·p| ≤ ‖E‖·‖p‖², so the norm returned is never below the true one.
    /// </summary>
    private float Project(ReadOnlySpan<float> vector, Span<double> projection)
    {
        Span<double> wide = Dimensions <= 1024 ? stackalloc double[Dimensions] : new double[Dimensions];
        for (var j = 0; j < Dimensions; j++)
        {
            wide[j] = vector[j];
        }

        double projected = 0;
        for (var row = 0; row < Directions; row++)
        {
            var along = Dot(_basis.AsSpan(row * Dimensions, Dimensions), wide);
            projection[row] = along;
            projected += along * along;
        }

        var squared = Dot(wide, wide) - projected + (_drift * projected);
        return (float)Math.Sqrt(Math.Max(0, squared) + 1e-12);
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var i = 0;
        var sum = Vector256<double>.Zero;
        for (; i <= a.Length - Vector256<double>.Count; i += Vector256<double>.Count)
        {
            sum += Vector256.Create(a.Slice(i, Vector256<double>.Count)) * Vector256.Create(b.Slice(i, Vector256<double>.Count));
        }

        var total = Vector256.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }

    private static (float Scale, float Error, float Norm, float CodeNorm) Quantise(ReadOnlySpan<double> vector, Span<sbyte> code)
    {
        var max = 0d;
        foreach (var x in vector)
        {
            max = Math.Max(max, Math.Abs(x));
        }

        var scale = max > 0 ? (float)(max / 127) : 1f;
        double error = 0, norm = 0, codeNorm = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            var q = (sbyte)Math.Clamp(Math.Round(vector[i] / scale), -127, 127);
            code[i] = q;
            var restored = (double)q * scale;
            error += (vector[i] - restored) * (vector[i] - restored);
            norm += vector[i] * vector[i];
            codeNorm += restored * restored;
        }

        return (scale, (float)Math.Sqrt(error), (float)Math.Sqrt(norm), (float)Math.Sqrt(codeNorm));
    }
}
