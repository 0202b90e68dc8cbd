package offline

import (
	"context"
	"fmt"
	"time"

	"github.com/asyncjobs/stepjobs/internal/dynamo"
)

// DefaultSweepInterval is how often the runtime deletes expired job
// records when Config.SweepInterval is 0.
const DefaultSweepInterval = time.Minute

// now is the clock of record expiry: Config.Now, else the wall clock. The
// sweeper and the local API Gateway ($context.requestTimeEpoch, which the
// templates compare with a record's expiresAt) read it, so a test moving it
// on sees every route answer an expired job alike.
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// SweepExpired deletes the job records that expired by now (s.now), as
// DynamoDB's TTL does on AWS (dynalite has no TTL), and returns how many.
// The sweeper calls it every SweepInterval; tests call it directly.
func (s *Server) SweepExpired(ctx context.Context) (int, error) {
	total := 0
	for _, t := range s.svc.Tables {
		if t.TTLAttribute == "" {
			continue
		}
		if t.TTLAttribute != "expiresAt" {
			return total, fmt.Errorf("offline: table %s: TTL attribute %q: only expiresAt is swept", t.TableName, t.TTLAttribute)
		}
		n, err := dynamo.NewSweeper(s.dynamo, t.TableName).Sweep(ctx, s.now())
		total += n
		if err != nil {
			return total, fmt.Errorf("offline: sweep %s: %w", t.TableName, err)
		}
	}
	return total, nil
}

// sweep runs SweepExpired every interval until the runtime closes.
func (s *Server) sweep(interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-s.life.Done():
			return
		case <-tick.C:
			if n, err := s.SweepExpired(s.life); err != nil {
				s.log.Warn("expired records not swept", "err", err)
			} else if n > 0 {
				s.log.Info("expired records deleted", "records", n)
			}
		}
	}
}
