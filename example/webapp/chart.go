package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/upapi/up-go/up/wire"
)

// A chart is a bar chart of one figure per day, drawn as SVG by the page
// template from the geometry computed here: no script, nothing loaded from
// elsewhere.
type chart struct {
	ID, Title   string
	Width       float64
	Height      float64
	PlotLeft    float64
	PlotRight   float64
	PlotBottom  float64
	Bars        []bar
	YTicks      []tick
	XLabels     []tick
	Goal        *tick // the goal's line, when the user has one
	Summary     string
	Description string // for screen readers: what the chart shows
}

// bar is one day of a chart.
type bar struct {
	X, Y, W, H float64
	Date       string // YYYY-MM-DD
	Value      int    // the raw figure: steps, or seconds asleep
	Label      string // the figure as people read it
	MetGoal    bool
}

// tick is a labeled position on an axis.
type tick struct {
	Pos   float64
	Label string
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 640
	chartHeight = 220
	plotLeft    = 56
	plotRight   = 8
	plotTop     = 10
	plotBottom  = 24
)

// newChart draws values for the chartDays days ending on today. goal is the
// daily goal in the figure's unit, 0 for none; the axis is rounded to whole
// units (3600 for seconds drawn in hours); format writes a figure for
// people, and axis a value of the axis.
func newChart(id, title string, values daily, today wire.Date, goal int, unit float64, format func(int) string, axis func(float64) string) chart {
	c := chart{ID: id, Title: title, Width: chartWidth, Height: chartHeight,
		PlotLeft: plotLeft, PlotRight: chartWidth - plotRight, PlotBottom: chartHeight - plotBottom}
	top := float64(goal)
	total, days := 0, 0
	for i := range chartDays {
		v := values[today.AddDays(i-(chartDays-1))]
		top = max(top, float64(v))
		if v > 0 {
			total += v
			days++
		}
	}
	top = niceCeil(top*1.05/unit) * unit
	plotH := c.PlotBottom - plotTop
	y := func(v float64) float64 { return round1(c.PlotBottom - v/top*plotH) }
	slot := (c.PlotRight - c.PlotLeft) / chartDays
	for i := range chartDays {
		d := today.AddDays(i - (chartDays - 1))
		v := values[d]
		b := bar{X: round1(c.PlotLeft + float64(i)*slot + slot*0.15), W: round1(slot * 0.7), Y: y(float64(v)),
			Date: d.String(), Value: v, Label: format(v), MetGoal: goal > 0 && v >= goal}
		b.H = round1(c.PlotBottom - b.Y)
		c.Bars = append(c.Bars, b)
		if i%7 == 1 || i == chartDays-1 {
			label := d.In(time.UTC).Format("2 Jan")
			if i == chartDays-1 {
				label = "today"
			}
			c.XLabels = append(c.XLabels, tick{Pos: round1(b.X + b.W/2), Label: label})
		}
	}
	for _, f := range []float64{0, 0.5, 1} {
		c.YTicks = append(c.YTicks, tick{Pos: y(top * f), Label: axis(top * f)})
	}
	if goal > 0 {
		c.Goal = &tick{Pos: y(float64(goal)), Label: "goal " + format(goal)}
	}
	if days > 0 {
		c.Summary = fmt.Sprintf("%s a day on average over %d days with data", format(total/days), days)
	} else {
		c.Summary = "No data in the last 30 days"
	}
	c.Description = fmt.Sprintf("%s for each of the last %d days, from %s to %s; %s.", title, chartDays,
		c.Bars[0].Date, c.Bars[len(c.Bars)-1].Date, c.Summary)
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so that the axis
// reads well; at least 1.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// formatSteps writes a number of steps.
func formatSteps(n int) string { return formatInt(n) }

// formatSleep writes seconds asleep as hours and minutes.
func formatSleep(sec int) string {
	if sec == 0 {
		return "0 h"
	}
	return fmt.Sprintf("%d h %02d", sec/3600, (sec%3600+30)/60)
}

// axisSteps writes an axis value in steps: 12k.
func axisSteps(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// axisHours writes an axis value of seconds in hours: 8 h.
func axisHours(v float64) string {
	return strconv.FormatFloat(math.Round(v/360)/10, 'f', -1, 64) + " h"
}
