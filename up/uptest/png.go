package uptest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	"github.com/upapi/up-go/gen"
)

const chartHeight = 80

var chartPalette = color.Palette{
	color.RGBA{0xff, 0xff, 0xff, 0xff}, // background
	color.RGBA{0xe6, 0x5c, 0x00, 0xff}, // activity, and awake
	color.RGBA{0x66, 0xb2, 0xff, 0xff}, // light sleep
	color.RGBA{0x00, 0x33, 0x99, 0xff}, // sound sleep
	color.RGBA{0xcc, 0xcc, 0xcc, 0xff}, // baseline
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory paletted image cannot fail
	}
	return buf.Bytes()
}

// tickChart draws ticks as a bar chart of steps (of calories when the ticks
// have no steps), one bar of three pixels per tick.
func tickChart(ticks []gen.Tick) []byte {
	values := make([]float64, len(ticks))
	var top float64
	useSteps := false
	for _, t := range ticks {
		if t.Steps > 20 {
			useSteps = true
		}
	}
	for i, t := range ticks {
		values[i] = t.Calories
		if useSteps {
			values[i] = float64(t.Steps)
		}
		top = max(top, values[i])
	}
	width := max(3*len(ticks), 48)
	img := image.NewPaletted(image.Rect(0, 0, width, chartHeight), chartPalette)
	for x := range width {
		img.SetColorIndex(x, chartHeight-1, 4)
	}
	for i, v := range values {
		if top == 0 {
			break
		}
		h := int(v / top * (chartHeight - 4))
		for x := 3 * i; x < 3*i+2; x++ {
			for y := chartHeight - 2; y >= chartHeight-2-h; y-- {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	return encodePNG(img)
}

// sleepChart draws a sleep's phases over time, one pixel column per two
// minutes: deeper phases reach lower and darker.
func sleepChart(ticks []gen.SleepTick, end int64) []byte {
	const step = 120
	var start int64
	if len(ticks) > 0 {
		start = int64(ticks[0].Time)
	}
	width := max(int((end-start)/step)+1, 48)
	img := image.NewPaletted(image.Rect(0, 0, width, chartHeight), chartPalette)
	for i, t := range ticks {
		until := end
		if i+1 < len(ticks) {
			until = int64(ticks[i+1].Time)
		}
		depth := min(max(int(t.Depth), 1), 3)
		for x := int((int64(t.Time) - start) / step); x <= int((until-start)/step) && x < width; x++ {
			for y := 0; y < depth*chartHeight/3; y++ {
				img.SetColorIndex(x, y, uint8(depth))
			}
		}
	}
	return encodePNG(img)
}
