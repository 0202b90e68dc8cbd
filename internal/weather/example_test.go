package weather_test

import (
	"fmt"

	"github.com/asyncjobs/stepjobs/internal/weather"
)

// The same seed always gives the same observations.
func ExampleGenerate() {
	for _, o := range weather.Generate(42, 2) {
		fmt.Printf("%s %s %s %.1f°C %.1f hPa %d%%\n", o.LocalTime.Format("2006-01-02 15:04 -07:00"),
			o.Station, o.Conditions, o.TemperatureC, o.PressureHPa, o.HumidityPct)
	}
	// Output:
	// 2024-10-21 08:26 +04:00 Dubai International cloudy 27.0°C 1011.9 hPa 65%
	// 2024-10-21 01:32 -03:00 São Paulo Congonhas fog 14.8°C 1008.6 hPa 100%
}
