package weather_test

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/asyncjobs/stepjobs/internal/weather"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestDeterministic(t *testing.T) {
	a := weather.Generate(42, 500)
	assert.Equal(t, a, weather.Generate(42, 500), "same seed, same observations")
	assert.NotEqual(t, a, weather.Generate(43, 500), "another seed, other observations")
	assert.Equal(t, a[:10], weather.Generate(42, 10), "a shorter run is a prefix")
	assert.Equal(t,
		weather.NewGenerator(-7).AppendArray(nil, 300),
		weather.NewGenerator(-7).AppendArray(nil, 300))
}

// The golden file pins the output of a seed: a change to the model shows up
// here and must be deliberate (run with -update to accept it).
func TestGolden(t *testing.T) {
	got := weather.NewGenerator(42).AppendArray(nil, 5)
	path := filepath.Join("testdata", "seed-42-5.json")
	if *update {
		var pretty []any
		require.NoError(t, json.Unmarshal(got, &pretty))
		b, err := json.MarshalIndent(pretty, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

// The hand-written encoder must agree with encoding/json byte for byte.
func TestEncodingMatchesEncodingJSON(t *testing.T) {
	for _, seed := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64} {
		obs := weather.Generate(seed, 2000)
		want, err := json.Marshal(obs)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(weather.NewGenerator(seed).AppendArray(nil, 2000)), "seed %d", seed)
		for _, o := range obs[:50] {
			want, err := json.Marshal(o)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(o.AppendJSON(nil)))
		}
	}
	assert.Equal(t, "[]", string(weather.NewGenerator(1).AppendArray(nil, 0)))
}

func TestPlausible(t *testing.T) {
	stations := map[string]weather.Station{}
	for _, s := range weather.Stations() {
		stations[s.Name] = s
	}
	known := []string{weather.Clear, weather.PartlyCloudy, weather.Cloudy, weather.Fog, weather.Drizzle,
		weather.Rain, weather.Thunderstorm, weather.Sleet, weather.Snow}
	seen := map[string]int{}
	obs := weather.Generate(2026, 100_000)
	for i, o := range obs {
		s, ok := stations[o.Station]
		require.True(t, ok, "unknown station %q", o.Station)
		assert.Equal(t, s.Latitude, o.Latitude)
		assert.Equal(t, s.Longitude, o.Longitude)
		_, offset := o.LocalTime.Zone()
		require.Equal(t, int(s.UTCOffset.Seconds()), offset, "local time of %s", s.Name)
		require.True(t, o.TemperatureC > -50 && o.TemperatureC < 55, "temperature %v at %s", o.TemperatureC, s.Name)
		require.True(t, o.PressureHPa >= 955 && o.PressureHPa <= 1050, "pressure %v", o.PressureHPa)
		require.True(t, o.HumidityPct >= 5 && o.HumidityPct <= 100, "humidity %v", o.HumidityPct)
		require.Contains(t, known, o.Conditions)
		if o.Conditions == weather.Snow {
			require.LessOrEqual(t, o.TemperatureC, 0.0, "snow above freezing")
		}
		if i > 0 {
			require.True(t, o.LocalTime.After(obs[i-1].LocalTime), "time runs forward")
		}
		seen[o.Conditions]++
		seen[o.Station]++
	}
	for _, c := range known {
		assert.Positive(t, seen[c], "conditions %q never drawn", c)
	}
	for name := range stations {
		assert.Positive(t, seen[name], "station %q never drawn", name)
	}
	// Seasons: Oslo in January is colder than Oslo in July, Sydney the reverse.
	assert.Less(t, meanTemp(obs, "Oslo Blindern", 1), meanTemp(obs, "Oslo Blindern", 7))
	assert.Greater(t, meanTemp(obs, "Sydney Observatory Hill", 1), meanTemp(obs, "Sydney Observatory Hill", 7))
}

func meanTemp(obs []weather.Observation, station string, month int) float64 {
	var sum float64
	var n int
	for _, o := range obs {
		if o.Station == station && int(o.LocalTime.Month()) == month {
			sum += o.TemperatureC
			n++
		}
	}
	return sum / float64(n)
}

func TestStationsIsACopy(t *testing.T) {
	s := weather.Stations()
	require.NotEmpty(t, s)
	s[0].Name = "changed"
	assert.NotEqual(t, "changed", weather.Stations()[0].Name)
	for _, st := range weather.Stations() {
		assert.True(t, st.Latitude >= -90 && st.Latitude <= 90 && st.Longitude >= -180 && st.Longitude <= 180, st.Name)
	}
	names := make([]string, 0, len(s))
	for _, st := range weather.Stations() {
		names = append(names, st.Name)
	}
	slices.Sort(names)
	assert.Equal(t, len(names), len(slices.Compact(names)), "station names are unique")
}

func BenchmarkAppendArray(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run("records="+itoa(n), func(b *testing.B) {
			buf := make([]byte, 0, n*weather.ApproxJSONSize)
			b.ReportAllocs()
			for b.Loop() {
				buf = weather.NewGenerator(42).AppendArray(buf[:0], n)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportMetric(float64(len(buf))/float64(n), "bytes/record")
		})
	}
}

// BenchmarkEncodingJSON is the reference the hand-written encoder is measured against.
func BenchmarkEncodingJSON(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run("records="+itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(weather.Generate(42, n)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// AppendArrayEach writes what AppendArray writes, calling done every `every`
// observations and after the last.
func TestAppendArrayEach(t *testing.T) {
	tests := map[string]struct {
		n, every int
		want     []int
	}{
		"steps":            {n: 10, every: 3, want: []int{3, 6, 9, 10}},
		"even steps":       {n: 6, every: 2, want: []int{2, 4, 6}},
		"one step is all":  {n: 4, every: 10, want: []int{4}},
		"no observations":  {n: 0, every: 1, want: nil},
		"every 0: no call": {n: 5, every: 0, want: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var calls []int
			got := weather.NewGenerator(7).AppendArrayEach(nil, tc.n, tc.every, func(done int) { calls = append(calls, done) })
			assert.Equal(t, string(weather.NewGenerator(7).AppendArray(nil, tc.n)), string(got))
			assert.Equal(t, tc.want, calls)
		})
	}
	assert.Equal(t, string(weather.NewGenerator(7).AppendArray(nil, 3)), string(weather.NewGenerator(7).AppendArrayEach(nil, 3, 1, nil)), "nil done")
}
