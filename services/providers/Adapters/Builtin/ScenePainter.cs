using SkiaSharp;

namespace ImageGen.Providers.Adapters.Builtin;

/// <summary>
/// Draws a <see cref="SceneRecipe"/> onto a canvas. Every position and size is a fraction of the image,
/// and every element draws from its own random stream, so one prompt and seed give the same composition
/// at any size, and an element can be drawn twice (its reflection in water) with identical shapes.
/// </summary>
internal sealed class ScenePainter
{
    private const int RidgePoints = 129;

    private readonly SceneRecipe _recipe;
    private readonly SplitMix64 _root;
    private readonly float _w;
    private readonly float _h;
    private readonly float _u;
    private readonly float _horizon;
    private readonly float _groundY;
    private readonly float _accentHue;
    private readonly SKColor _skyTop;
    private readonly SKColor _skyMid;
    private readonly SKColor _skyHorizon;
    private readonly SKColor _groundNear;
    private readonly SKColor _light;

    public ScenePainter(SceneRecipe recipe, int width, int height)
    {
        _recipe = recipe;
        _root = new SplitMix64(recipe.Root);
        _w = width;
        _h = height;
        _u = Math.Min(_w, _h);

        var layout = _root.Fork(Feature.Layout).Fork(Feature.Layout);
        _horizon = _h * (recipe.Has(SceneElements.Water) ? layout.Range(0.55, 0.66) : layout.Range(0.58, 0.72));
        _groundY = recipe.Has(SceneElements.Water) ? _horizon : _h * layout.Range(0.8, 0.9);

        var scheme = _root.Fork(Feature.Palette).Fork(Feature.Palette);
        _accentHue = recipe.Hue + scheme.Next(0, 4) switch { 0 => 30, 1 => 180, 2 => 120, _ => 150 };
        var (h, s, l) = (recipe.Hue, recipe.Saturation, recipe.Lightness);
        (_skyTop, _skyMid, _skyHorizon, _groundNear, _light) = recipe.Time switch
        {
            TimeOfDay.Day => (Hsl(h, s * 0.8f, 36 + l), Hsl(h + 10, s * 0.7f, 58 + l), Hsl(h + 25, s * 0.55f, 84),
                Hsl(_accentHue, s * 0.45f, 17 + (l / 2)), Hsl(h + 45, 100, 95)),
            TimeOfDay.Dusk => (Hsl(h + 200, s * 0.6f, 15 + l), Hsl(h - 15, s * 0.85f, 42 + l), Hsl(h + 25, s, 68 + (l / 2)),
                Hsl(_accentHue, s * 0.4f, 11 + (l / 2)), Hsl(h + 30, 95, 74)),
            _ => (Hsl(h, s * 0.6f, 4 + (l / 3)), Hsl(h + 10, s * 0.55f, 11 + (l / 2)), Hsl(h + 20, s * 0.5f, 24 + (l / 2)),
                Hsl(_accentHue, s * 0.35f, 6 + (l / 3)), Hsl(h, 20, 90)),
        };
    }

    public void Paint(SKCanvas canvas)
    {
        PaintSky(canvas);
        if (_recipe.Has(SceneElements.Space))
        {
            PaintNebula(canvas);
        }

        if (_recipe.Has(SceneElements.Stars))
        {
            PaintStars(canvas);
        }

        if (_recipe.Has(SceneElements.Space))
        {
            PaintPlanet(canvas);
        }
        else if (_recipe.Has(SceneElements.Celestial))
        {
            PaintCelestial(canvas);
        }

        if (_recipe.Has(SceneElements.Clouds))
        {
            PaintClouds(canvas);
        }

        PaintLandmarks(canvas);
        if (_recipe.Has(SceneElements.Water))
        {
            PaintWater(canvas);
        }

        if (_recipe.Has(SceneElements.Forest))
        {
            PaintForest(canvas, frontRow: !_recipe.Has(SceneElements.Water));
        }

        if (_recipe.Has(SceneElements.Abstract))
        {
            PaintAbstract(canvas);
        }

        if (_recipe.Has(SceneElements.Vignette))
        {
            PaintVignette(canvas);
        }
    }

    private void PaintSky(SKCanvas canvas)
    {
        using var paint = new SKPaint { IsDither = true };
        using var shader = SKShader.CreateLinearGradient(
            new SKPoint(0, 0), new SKPoint(0, _horizon),
            [_skyTop, _skyMid, _skyHorizon], [0, 0.55f, 1], SKShaderTileMode.Clamp);
        paint.Shader = shader;
        canvas.DrawPaint(paint);
    }

    private void PaintStars(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Stars);
        var count = _recipe.Has(SceneElements.Space) ? 700 : 220;
        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < count; i++)
        {
            var x = random.Range(0, 1) * _w;
            var y = random.Range(0, 1) * _horizon;
            var radius = Math.Max(0.6f, _u * random.Range(0.0005, 0.0022));
            var bright = random.Chance(0.05);
            paint.Color = Hsl(_recipe.Hue + random.Range(-40, 40), 35, 92, (byte)random.Range(80, 255));
            if (bright)
            {
                using var glow = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, radius * 2);
                paint.MaskFilter = glow;
                canvas.DrawCircle(x, y, radius * 3, paint);
                paint.MaskFilter = null;
            }

            canvas.DrawCircle(x, y, radius, paint);
        }
    }

    private void PaintCelestial(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Celestial);
        var (x, y, radius) = CelestialPlacement(random);
        using var paint = new SKPaint { IsAntialias = true, IsDither = true };
        var glowAlpha = _recipe.Time == TimeOfDay.Night ? (byte)70 : (byte)150;
        using var shader = SKShader.CreateRadialGradient(
            new SKPoint(x, y), radius * random.Range(4, 7),
            [_light.WithAlpha(glowAlpha), _light.WithAlpha(0)], SKShaderTileMode.Clamp);
        paint.Shader = shader;
        canvas.DrawPaint(paint);
        paint.Shader = null;
        paint.Color = _light;
        canvas.DrawCircle(x, y, radius, paint);
        if (_recipe.Time == TimeOfDay.Night)
        {
            // A few darker maria so the moon reads as a moon, not a lamp.
            paint.Color = Hsl(_recipe.Hue, 12, 78, 160);
            for (var i = 0; i < 4; i++)
            {
                canvas.DrawCircle(x + (radius * random.Range(-0.5, 0.5)), y + (radius * random.Range(-0.5, 0.5)), radius * random.Range(0.12, 0.28), paint);
            }
        }
    }

    private (float X, float Y, float Radius) CelestialPlacement(SplitMix64 random)
    {
        var x = _w * random.Range(0.15, 0.85);
        var y = _recipe.Time == TimeOfDay.Dusk ? _horizon - (_h * random.Range(0.1, 0.22)) : _horizon * random.Range(0.18, 0.5);
        var radius = _u * random.Range(0.04, 0.075) * (_recipe.Time == TimeOfDay.Dusk ? 1.4f : 1f);
        return (x, y, radius);
    }

    private void PaintClouds(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Clouds);
        var clouds = random.Next(2, 7);
        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < clouds; i++)
        {
            var cx = _w * random.Range(-0.1, 1.1);
            var cy = _horizon * random.Range(0.1, 0.6);
            var size = _u * random.Range(0.05, 0.12);
            using var builder = new SKPathBuilder();
            var puffs = random.Next(4, 9);
            for (var p = 0; p < puffs; p++)
            {
                var px = cx + (size * random.Range(-1.6, 1.6));
                var py = cy + (size * random.Range(-0.3, 0.3));
                var rx = size * random.Range(0.6, 1.2);
                var ry = rx * random.Range(0.45, 0.7);
                builder.AddOval(new SKRect(px - rx, py - ry, px + rx, py + ry));
            }

            var alpha = (byte)random.Range(140, 210);
            paint.Color = _recipe.Time == TimeOfDay.Dusk ? Hsl(_recipe.Hue - 20, 70, 74, alpha) : Hsl(_recipe.Hue + 10, 25, 97, alpha);
            using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, size * 0.15f);
            paint.MaskFilter = blur;
            // One path for all puffs, so overlapping puffs do not stack their transparency.
            using var path = builder.Detach();
            canvas.DrawPath(path, paint);
        }
    }

    /// <summary>Mountains and city: what stands on the horizon and is mirrored by water.</summary>
    private void PaintLandmarks(SKCanvas canvas)
    {
        if (_recipe.Has(SceneElements.Mountains))
        {
            PaintRidges(canvas);
        }

        if (_recipe.Has(SceneElements.City))
        {
            PaintCity(canvas);
        }
    }

    private void PaintRidges(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Ridges);
        var water = _recipe.Has(SceneElements.Water);
        var layers = random.Next(2, 5);
        var roughness = random.Range(0.42, 0.6);
        using var paint = new SKPaint { IsAntialias = true, IsDither = true };
        for (var k = 0; k < layers; k++)
        {
            var depth = (k + 1f) / layers;
            var baseY = water ? _horizon : _horizon + ((_h - _horizon) * (k / (float)layers) * 0.85f);
            var amplitude = _h * random.Range(0.1, 0.28) * (water ? 1 - (0.2f * k) : 1 - (0.12f * k));
            var bottom = water ? _horizon + 1 : _h;
            var ridge = Ridge(random, roughness);
            using var builder = new SKPathBuilder();
            builder.MoveTo(0, bottom);
            for (var i = 0; i < RidgePoints; i++)
            {
                builder.LineTo(_w * i / (RidgePoints - 1), baseY - (amplitude * ridge[i]));
            }

            builder.LineTo(_w, bottom);
            builder.Close();
            using var path = builder.Detach();
            // Far ridges fade into the horizon haze, near ones darken: the depth cue of a landscape.
            var color = Lerp(_skyHorizon, _groundNear, MathF.Pow(depth, 0.8f));
            using var shader = SKShader.CreateLinearGradient(
                new SKPoint(0, baseY - amplitude), new SKPoint(0, bottom),
                [Lerp(color, _skyHorizon, 0.12f), Lerp(color, SKColors.Black, 0.25f)], SKShaderTileMode.Clamp);
            paint.Shader = shader;
            canvas.DrawPath(path, paint);
        }
    }

    /// <summary>Midpoint displacement: a ridge line of <see cref="RidgePoints"/> heights in [0, 1].</summary>
    private static float[] Ridge(SplitMix64 random, float roughness)
    {
        var y = new float[RidgePoints];
        y[0] = random.Range(0.1, 0.9);
        y[^1] = random.Range(0.1, 0.9);
        var displacement = 0.6f;
        for (var step = RidgePoints - 1; step > 1; step /= 2)
        {
            var half = step / 2;
            for (var i = half; i < RidgePoints - 1; i += step)
            {
                y[i] = ((y[i - half] + y[i + half]) / 2) + random.Range(-displacement, displacement);
            }

            displacement *= roughness;
        }

        var (min, max) = (y.Min(), y.Max());
        var range = Math.Max(max - min, 1e-3f);
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = (y[i] - min) / range;
        }

        return y;
    }

    private void PaintCity(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.City);
        var baseY = _groundY;
        using var paint = new SKPaint { IsAntialias = true };
        var back = Lerp(_skyHorizon, _groundNear, 0.55f);
        var front = Lerp(_groundNear, SKColors.Black, 0.2f);
        var windowChance = _recipe.Time switch { TimeOfDay.Night => 0.38, TimeOfDay.Dusk => 0.22, _ => 0.0 };
        for (var row = 0; row < 2; row++)
        {
            var x = _w * random.Range(-0.05, 0);
            while (x < _w)
            {
                var width = _w * random.Range(0.035, 0.09);
                var height = _h * (row == 0 ? random.Range(0.08, 0.28) : random.Range(0.1, 0.42));
                var top = baseY - height;
                paint.Color = row == 0 ? back : front;
                canvas.DrawRect(x, top, width, height + 1, paint);
                if (random.Chance(0.3))
                {
                    // A stepped crown or a mast breaks the run of flat roofs.
                    var crown = width * random.Range(0.3, 0.6);
                    canvas.DrawRect(x + ((width - crown) / 2), top - (height * 0.08f), crown, (height * 0.08f) + 1, paint);
                    canvas.DrawRect(x + (width / 2) - (_u * 0.002f), top - (height * 0.2f), _u * 0.004f, height * 0.2f, paint);
                }

                if (row == 1 && windowChance > 0)
                {
                    PaintWindows(canvas, random, x, top, width, height, windowChance);
                }

                x += width + (_w * random.Range(0, 0.012));
            }
        }

        if (!_recipe.Has(SceneElements.Water))
        {
            paint.Color = front;
            canvas.DrawRect(0, baseY, _w, _h - baseY, paint);
        }
    }

    private void PaintWindows(SKCanvas canvas, SplitMix64 random, float x, float top, float width, float height, double chance)
    {
        var cell = _u * 0.018f;
        var columns = (int)(width / cell);
        var rows = (int)(height / cell);
        using var paint = new SKPaint { IsAntialias = true };
        for (var r = 1; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                if (!random.Chance(chance))
                {
                    continue;
                }

                paint.Color = _recipe.Neon
                    ? Hsl(_accentHue + random.Range(-20, 20), 100, 62)
                    : Hsl(45 + random.Range(-8, 8), 90, random.Range(60, 78));
                canvas.DrawRect(x + (c * cell) + (cell * 0.25f), top + (r * cell), cell * 0.5f, cell * 0.55f, paint);
            }
        }
    }

    private void PaintWater(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Water);
        using var paint = new SKPaint { IsAntialias = true, IsDither = true };
        using var shader = SKShader.CreateLinearGradient(
            new SKPoint(0, _horizon), new SKPoint(0, _h),
            [Lerp(_skyHorizon, _skyMid, 0.4f), Lerp(_skyTop, _groundNear, 0.5f)], SKShaderTileMode.Clamp);
        paint.Shader = shader;
        canvas.DrawRect(0, _horizon, _w, _h - _horizon, paint);
        paint.Shader = null;

        // Mirror what stands on the horizon, faintly, as calm water does.
        using (new SKAutoCanvasRestore(canvas))
        {
            canvas.ClipRect(new SKRect(0, _horizon, _w, _h), SKClipOperation.Intersect, true);
            canvas.Scale(1, -1, 0, _horizon);
            using var layer = new SKPaint { Color = SKColors.White.WithAlpha(70) };
            canvas.SaveLayer(layer);
            PaintLandmarks(canvas);
            canvas.Restore();
        }

        if (_recipe.Has(SceneElements.Celestial) && !_recipe.Has(SceneElements.Space))
        {
            var (x, _, radius) = CelestialPlacement(_root.Fork(Feature.Celestial));
            const int streaks = 36;
            for (var j = 0; j < streaks; j++)
            {
                var t = j / (float)streaks;
                var y = _horizon + ((_h - _horizon) * MathF.Pow(t, 1.4f));
                var half = radius * random.Range(0.5, 1.6) * (1 + (2 * t));
                paint.Color = _light.WithAlpha((byte)(170 * (1 - t)));
                canvas.DrawRect(x - half + (radius * random.Range(-0.3, 0.3)), y, half * 2, Math.Max(1, _u * 0.003f * (1 + (2 * t))), paint);
            }
        }

        var waves = random.Next(60, 120);
        var waveAlpha = _recipe.Time == TimeOfDay.Night ? 25 : 55;
        for (var i = 0; i < waves; i++)
        {
            var t = random.Range(0, 1);
            var perspective = 0.3f + (1.7f * t);
            var y = _horizon + ((_h - _horizon) * MathF.Pow(t, 1.3f));
            var length = _u * random.Range(0.02, 0.1) * perspective;
            var x = _w * random.Range(-0.05, 1.05);
            paint.Color = SKColors.White.WithAlpha((byte)(waveAlpha * random.Range(0.5, 1)));
            canvas.DrawRect(x, y, length, Math.Max(1, _u * 0.0016f * perspective), paint);
        }
    }

    private void PaintForest(SKCanvas canvas, bool frontRow)
    {
        var random = _root.Fork(Feature.Forest);
        using var paint = new SKPaint { IsAntialias = true };
        if (frontRow && !_recipe.Has(SceneElements.Mountains) && !_recipe.Has(SceneElements.City))
        {
            paint.Color = _groundNear;
            canvas.DrawRect(0, _groundY, _w, _h - _groundY, paint);
        }

        for (var row = 0; row < (frontRow ? 2 : 1); row++)
        {
            var trees = row == 0 ? random.Next(20, 40) : random.Next(7, 15);
            paint.Color = row == 0 ? Lerp(_skyHorizon, _groundNear, 0.7f) : Lerp(_groundNear, SKColors.Black, 0.3f);
            var baseY = row == 0 ? _groundY + 1 : _h + (_h * 0.02f);
            for (var i = 0; i < trees; i++)
            {
                var x = _w * random.Range(-0.05, 1.05);
                var height = _h * (row == 0 ? random.Range(0.05, 0.12) : random.Range(0.18, 0.36));
                var width = height * random.Range(0.28, 0.42);
                using var builder = new SKPathBuilder();
                // A conifer: three stacked triangles over a short trunk.
                for (var tier = 0; tier < 3; tier++)
                {
                    var tierBottom = baseY - (height * (0.12f + (0.26f * tier)));
                    var tierTop = tierBottom - (height * 0.5f);
                    var tierHalf = width * (0.5f - (0.1f * tier));
                    builder.MoveTo(x - tierHalf, tierBottom);
                    builder.LineTo(x, tierTop);
                    builder.LineTo(x + tierHalf, tierBottom);
                    builder.Close();
                }

                builder.AddRect(new SKRect(x - (width * 0.06f), baseY - (height * 0.14f), x + (width * 0.06f), baseY));
                using var path = builder.Detach();
                canvas.DrawPath(path, paint);
            }
        }
    }

    private void PaintAbstract(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Abstract);
        var shapes = random.Next(10, 28);
        float[] hues = [_recipe.Hue, _accentHue, (_recipe.Hue + _accentHue) / 2, _recipe.Hue - 30];
        using var paint = new SKPaint { IsAntialias = true };
        paint.BlendMode = _recipe.Time == TimeOfDay.Day ? SKBlendMode.SrcOver : SKBlendMode.Screen;
        for (var i = 0; i < shapes; i++)
        {
            var x = _w * random.Range(0, 1);
            var y = _h * random.Range(0, 1);
            var radius = _u * random.Range(0.03, 0.22);
            paint.Color = Hsl(hues[random.Next(0, hues.Length)], _recipe.Saturation, random.Range(45, 72), (byte)random.Range(50, 150));
            var kind = random.NextDouble();
            paint.Style = kind < 0.3 ? SKPaintStyle.Stroke : SKPaintStyle.Fill;
            paint.StrokeWidth = radius * random.Range(0.05, 0.18);
            using var blur = kind > 0.7 ? SKMaskFilter.CreateBlur(SKBlurStyle.Normal, radius * 0.3f) : null;
            paint.MaskFilter = blur;
            canvas.DrawCircle(x, y, radius, paint);
        }
    }

    private void PaintNebula(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Space);
        using var paint = new SKPaint { IsAntialias = true, BlendMode = SKBlendMode.Screen };
        var blobs = random.Next(5, 10);
        for (var i = 0; i < blobs; i++)
        {
            var radius = _u * random.Range(0.15, 0.4);
            paint.Color = Hsl(_recipe.Hue + random.Range(-50, 50), _recipe.Saturation, 45, 55);
            using var blur = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, radius * 0.5f);
            paint.MaskFilter = blur;
            canvas.DrawCircle(_w * random.Range(0, 1), _horizon * random.Range(0, 1), radius, paint);
        }
    }

    private void PaintPlanet(SKCanvas canvas)
    {
        var random = _root.Fork(Feature.Space).Fork(Feature.Celestial);
        var x = _w * random.Range(0.2, 0.8);
        var y = _horizon * random.Range(0.3, 0.7);
        var radius = _u * random.Range(0.1, 0.22);
        var ringed = random.Chance(0.6);
        var tilt = random.Range(-25, 25);
        var ring = new SKRect(x - (radius * 2), y - (radius * 0.45f), x + (radius * 2), y + (radius * 0.45f));
        using var ringPaint = new SKPaint
        {
            IsAntialias = true,
            Style = SKPaintStyle.Stroke,
            StrokeWidth = radius * 0.08f,
            Color = Hsl(_accentHue + 30, 40, 75, 170),
        };

        // The far half of the ring goes behind the planet, the near half in front of it.
        if (ringed)
        {
            using (new SKAutoCanvasRestore(canvas))
            {
                canvas.RotateDegrees(tilt, x, y);
                canvas.DrawArc(ring, 180, 180, false, ringPaint);
            }
        }

        using var paint = new SKPaint { IsAntialias = true, IsDither = true };
        using var shader = SKShader.CreateRadialGradient(
            new SKPoint(x - (radius * 0.4f), y - (radius * 0.4f)), radius * 1.6f,
            [Hsl(_accentHue, _recipe.Saturation * 0.7f, 62), Hsl(_accentHue, _recipe.Saturation * 0.6f, 26), Hsl(_accentHue, _recipe.Saturation * 0.5f, 5)],
            [0, 0.6f, 1], SKShaderTileMode.Clamp);
        paint.Shader = shader;
        canvas.DrawCircle(x, y, radius, paint);
        if (ringed)
        {
            using (new SKAutoCanvasRestore(canvas))
            {
                canvas.RotateDegrees(tilt, x, y);
                canvas.DrawArc(ring, 0, 180, false, ringPaint);
            }
        }
    }

    private void PaintVignette(SKCanvas canvas)
    {
        using var paint = new SKPaint { IsDither = true };
        var alpha = _recipe.Time == TimeOfDay.Day ? (byte)70 : (byte)120;
        using var shader = SKShader.CreateRadialGradient(
            new SKPoint(_w / 2, _h / 2), MathF.Sqrt((_w * _w) + (_h * _h)) / 2,
            // Black at zero alpha, not SKColors.Transparent (white at zero alpha), which would leave a pale ring.
            [SKColors.Black.WithAlpha(0), SKColors.Black.WithAlpha(0), SKColors.Black.WithAlpha((byte)(alpha * 0.4f)), SKColors.Black.WithAlpha(alpha)],
            [0, 0.55f, 0.8f, 1], SKShaderTileMode.Clamp);
        paint.Shader = shader;
        canvas.DrawPaint(paint);
    }

    private static SKColor Hsl(float hue, float saturation, float lightness, byte alpha = 255) =>
        SKColor.FromHsl(((hue % 360) + 360) % 360, Math.Clamp(saturation, 0, 100), Math.Clamp(lightness, 0, 100), alpha);

    private static SKColor Lerp(SKColor from, SKColor to, float t) => new(
        (byte)(from.Red + ((to.Red - from.Red) * t)),
        (byte)(from.Green + ((to.Green - from.Green) * t)),
        (byte)(from.Blue + ((to.Blue - from.Blue) * t)),
        (byte)(from.Alpha + ((to.Alpha - from.Alpha) * t)));
}
