// Package weather is stepjobs' simulated business logic: it generates
// plausible weather observations from a seeded random source and encodes
// them as JSON. It stands in for the work a real job would do; replace it
// with your own and keep the handler around it.
//
// The output is fully determined by the seed: observation times are drawn
// from a fixed calendar year rather than the wall clock, so the same seed
// gives byte-identical JSON on every run and every retry.
package weather

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Observation is one simulated reading of a station.
type Observation struct {
	Station   string  `json:"station"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	// LocalTime is in the station's standard time (a fixed offset, no DST).
	LocalTime    time.Time `json:"localTime"`
	Conditions   string    `json:"conditions"`
	TemperatureC float64   `json:"temperatureC"` // one decimal
	PressureHPa  float64   `json:"pressureHPa"`  // one decimal, reduced to sea level
	HumidityPct  int       `json:"humidityPct"`
}

// Station is a real weather station with a rough climate, enough to make
// the simulated values plausible for its place and season.
type Station struct {
	Name      string
	Latitude  float64
	Longitude float64
	// UTCOffset is the station's standard time offset.
	UTCOffset time.Duration
	// MeanC is the annual mean temperature, SwingC the seasonal half-range.
	MeanC, SwingC float64
	// HumidityPct is the typical relative humidity.
	HumidityPct float64
}

// stations is fixed: changing it changes every seeded output. It is all
// constants, so it is laid out by the linker and costs nothing at start-up.
var stations = []Station{
	{"London Heathrow", 51.4700, -0.4543, 0 * time.Hour, 11.5, 6.5, 75},
	{"Paris Montsouris", 48.8217, 2.3378, 1 * time.Hour, 12.5, 7.5, 72},
	{"Berlin Tempelhof", 52.4675, 13.4021, 1 * time.Hour, 10, 9.5, 72},
	{"Oslo Blindern", 59.9423, 10.7200, 1 * time.Hour, 6.5, 10.5, 72},
	{"Reykjavik", 64.1275, -21.9025, 0 * time.Hour, 5, 5.5, 78},
	{"Svalbard Longyearbyen", 78.2461, 15.4656, 1 * time.Hour, -4, 8, 75},
	{"Madrid Retiro", 40.4117, -3.6781, 1 * time.Hour, 15.5, 9.5, 55},
	{"Roma Ciampino", 41.7994, 12.5950, 1 * time.Hour, 15.5, 8.5, 70},
	{"Cairo International", 30.1219, 31.4056, 2 * time.Hour, 22, 7, 55},
	{"Nairobi Jomo Kenyatta", -1.3192, 36.9278, 3 * time.Hour, 19, 2, 65},
	{"Cape Town International", -33.9648, 18.6017, 2 * time.Hour, 17, 4.5, 72},
	{"Dubai International", 25.2528, 55.3644, 4 * time.Hour, 28, 7.5, 55},
	{"Mumbai Santacruz", 19.0896, 72.8656, 5*time.Hour + 30*time.Minute, 27.5, 2.5, 75},
	{"Singapore Changi", 1.3502, 103.9940, 8 * time.Hour, 27.8, 1, 82},
	{"Beijing Capital", 40.0801, 116.5846, 8 * time.Hour, 12.5, 15, 55},
	{"Tokyo Otemachi", 35.6917, 139.7500, 9 * time.Hour, 16, 10, 65},
	{"Sydney Observatory Hill", -33.8607, 151.2050, 10 * time.Hour, 18, 4.5, 68},
	{"Auckland Airport", -37.0082, 174.7850, 12 * time.Hour, 15.5, 4, 78},
	{"Honolulu International", 21.3245, -157.9251, -10 * time.Hour, 25.5, 2, 70},
	{"Anchorage International", 61.1743, -149.9983, -9 * time.Hour, 3, 11.5, 70},
	{"Los Angeles International", 33.9416, -118.4085, -8 * time.Hour, 17.5, 3, 70},
	{"Denver International", 39.8561, -104.6737, -7 * time.Hour, 10, 11, 50},
	{"Chicago O'Hare", 41.9742, -87.9073, -6 * time.Hour, 10, 13, 70},
	{"New York Central Park", 40.7789, -73.9692, -5 * time.Hour, 13, 11.5, 63},
	{"Mexico City International", 19.4361, -99.0719, -6 * time.Hour, 17, 3, 55},
	{"São Paulo Congonhas", -23.6261, -46.6564, -3 * time.Hour, 19.5, 3.5, 78},
	{"Buenos Aires Aeroparque", -34.5592, -58.4156, -3 * time.Hour, 18, 6, 72},
}

// Stations returns a copy of the stations observations are drawn from.
func Stations() []Station { return append([]Station(nil), stations...) }

// Conditions values.
const (
	Clear         = "clear"
	PartlyCloudy  = "partly cloudy"
	Cloudy        = "cloudy"
	Fog           = "fog"
	Drizzle       = "drizzle"
	Rain          = "rain"
	Thunderstorm  = "thunderstorm"
	Sleet         = "sleet"
	Snow          = "snow"
	conditionsLen = 9
)

var conditions = [conditionsLen]string{Clear, PartlyCloudy, Cloudy, Fog, Drizzle, Rain, Thunderstorm, Sleet, Snow}

// tables holds what the generator and its encoder derive from stations:
// the JSON fragments that never change, so that encoding an observation is
// mostly appending bytes, and each station's zone. They are built on first
// use, not at package init: every Lambda function links this package
// (through internal/job), and only the simulation uses it.
type tables struct {
	prefix     []string // per station: {"station":...,"longitude":...,"localTime":"
	zones      []*time.Location
	conditions [conditionsLen]string // ","conditions":"...","temperatureC":
	epoch      time.Time             // starts the simulated calendar year; a seed picks a start in it
}

var (
	tablesOnce sync.Once
	tablesMade *tables
)

// encoded returns the tables, building them on the first call.
func encoded() *tables {
	tablesOnce.Do(func() { tablesMade = makeTables() })
	return tablesMade
}

func makeTables() *tables {
	e := &tables{epoch: time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)}
	for _, s := range stations {
		name, _ := json.Marshal(s.Name) // a string always marshals
		b := append([]byte(`{"station":`), name...)
		b = append(b, `,"latitude":`...)
		b = strconv.AppendFloat(b, s.Latitude, 'f', -1, 64)
		b = append(b, `,"longitude":`...)
		b = strconv.AppendFloat(b, s.Longitude, 'f', -1, 64)
		b = append(b, `,"localTime":"`...)
		e.prefix = append(e.prefix, string(b))
		e.zones = append(e.zones, time.FixedZone("", int(s.UTCOffset/time.Second)))
	}
	for i, c := range conditions {
		e.conditions[i] = `","conditions":"` + c + `","temperatureC":`
	}
	return e
}

// Generator produces a deterministic series of observations: a walk through
// time, one reading every few minutes from a random station.
type Generator struct {
	r   *rand.Rand
	t   time.Time // UTC time of the next observation
	enc *tables
}

// NewGenerator returns a generator whose output depends only on seed.
func NewGenerator(seed int64) *Generator {
	// PCG takes two words; the second is a fixed constant so the seed alone decides.
	r := rand.New(rand.NewPCG(uint64(seed), 0x5eed_57e9_70b5_0001))
	enc := encoded()
	start := enc.epoch.Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
	return &Generator{r: r, t: start, enc: enc}
}

// Next returns the next observation.
func (g *Generator) Next() Observation {
	o, _ := g.next()
	return o
}

// next also returns the station and condition indexes the encoder needs.
func (g *Generator) next() (Observation, [2]int) {
	r := g.r
	si := r.IntN(len(stations))
	s := &stations[si]
	local := g.t.In(g.enc.zones[si])
	g.t = g.t.Add(time.Duration(60+r.IntN(14*60)) * time.Second)

	// Seasons: coldest in mid-January in the north, mid-July in the south.
	day := float64(local.YearDay())
	season := -math.Cos(2 * math.Pi * (day - 15) / 365.25)
	if s.Latitude < 0 {
		season = -season
	}
	hour := float64(local.Hour()) + float64(local.Minute())/60
	daily := 4 * math.Cos(2*math.Pi*(hour-15)/24) // warmest at 15:00
	temp := s.MeanC + s.SwingC*season + daily + 2.5*r.NormFloat64()

	humidity := s.HumidityPct - 1.5*daily + 10*r.NormFloat64()
	humidity = math.Max(5, math.Min(100, humidity))
	pressure := 1013.25 + 8*r.NormFloat64()
	pressure = math.Max(955, math.Min(1050, pressure))

	ci := g.conditions(temp, humidity, pressure)
	return Observation{
		Station:      s.Name,
		Latitude:     s.Latitude,
		Longitude:    s.Longitude,
		LocalTime:    local,
		Conditions:   conditions[ci],
		TemperatureC: round1(temp),
		PressureHPa:  round1(pressure),
		HumidityPct:  int(math.Round(humidity)),
	}, [2]int{si, ci}
}

// conditions picks a sky consistent with the values: precipitation needs
// humid air (more likely with low pressure), snow needs frost.
func (g *Generator) conditions(temp, humidity, pressure float64) int {
	p := g.r.Float64()
	wet := (humidity - 70) / 30 * (1 + (1013-pressure)/40)
	switch {
	case humidity >= 80 && p < wet*0.7:
		switch {
		case temp <= 0:
			return 8 // snow
		case temp <= 2:
			return 7 // sleet
		case temp >= 22 && p < wet*0.15:
			return 6 // thunderstorm
		case p < wet*0.3:
			return 4 // drizzle
		}
		return 5 // rain
	case humidity >= 95 && temp < 20:
		return 3 // fog
	case p < 0.35:
		return 0 // clear
	case p < 0.7:
		return 1 // partly cloudy
	}
	return 2 // cloudy
}

func round1(v float64) float64 { return math.Round(v*10)/10 + 0 } // +0 turns -0 into 0

// Generate returns n observations for seed.
func Generate(seed int64, n int) []Observation {
	g := NewGenerator(seed)
	out := make([]Observation, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}

// AppendJSON appends o as a JSON object, byte for byte what encoding/json
// produces for it, without reflection.
func (o Observation) AppendJSON(dst []byte) []byte {
	b, _ := json.Marshal(o.Station) // rare path: only AppendArray is hot
	dst = append(dst, `{"station":`...)
	dst = append(dst, b...)
	dst = append(dst, `,"latitude":`...)
	dst = strconv.AppendFloat(dst, o.Latitude, 'f', -1, 64)
	dst = append(dst, `,"longitude":`...)
	dst = strconv.AppendFloat(dst, o.Longitude, 'f', -1, 64)
	dst = append(dst, `,"localTime":"`...)
	dst = o.LocalTime.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","conditions":`...)
	b, _ = json.Marshal(o.Conditions)
	dst = append(dst, b...)
	return appendTail(append(dst, `,"temperatureC":`...), o)
}

func appendTail(dst []byte, o Observation) []byte {
	dst = strconv.AppendFloat(dst, o.TemperatureC, 'f', -1, 64)
	dst = append(dst, `,"pressureHPa":`...)
	dst = strconv.AppendFloat(dst, o.PressureHPa, 'f', -1, 64)
	dst = append(dst, `,"humidityPct":`...)
	dst = strconv.AppendInt(dst, int64(o.HumidityPct), 10)
	return append(dst, '}')
}

// ApproxJSONSize is a generous estimate of one encoded observation, for
// sizing buffers up front.
const ApproxJSONSize = 200

// AppendArray appends a JSON array of the next n observations of g. It
// encodes while generating, so no slice of observations is ever held: 100,000
// records take one buffer of about 17 MB.
func (g *Generator) AppendArray(dst []byte, n int) []byte {
	return g.AppendArrayEach(dst, n, 0, nil)
}

// AppendArrayEach is AppendArray that calls done with the number of
// observations appended so far after every `every` of them and after the
// last (never when every is 0 or done is nil), so a caller can report
// progress without a second pass.
func (g *Generator) AppendArrayEach(dst []byte, n, every int, done func(int)) []byte {
	dst = append(dst, '[')
	for i := range n {
		if done != nil && every > 0 && i > 0 && i%every == 0 {
			done(i)
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		o, idx := g.next()
		dst = append(dst, g.enc.prefix[idx[0]]...)
		dst = o.LocalTime.AppendFormat(dst, time.RFC3339Nano)
		dst = append(dst, g.enc.conditions[idx[1]]...)
		dst = appendTail(dst, o)
	}
	if done != nil && every > 0 && n > 0 {
		done(n)
	}
	return append(dst, ']')
}
