package sfnapi

import (
	"context"

	"github.com/asyncjobs/stepjobs/internal/sfn"
)

// The activity operations. Tags and encryptionConfiguration are accepted
// and ignored: locally nothing reads them.

func activityDescription(a sfn.ActivityInfo) map[string]any {
	return map[string]any{"activityArn": a.ARN, "name": a.Name, "creationDate": sfn.EpochSeconds(a.CreationDate)}
}

func (s *server) apiCreateActivity(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	a, err := s.e.CreateActivity(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"activityArn": a.ARN, "creationDate": sfn.EpochSeconds(a.CreationDate)}, nil
}

// activityARNInput is the request of the operations naming one activity.
type activityARNInput struct {
	ActivityArn string `json:"activityArn"`
	WorkerName  string `json:"workerName"` // GetActivityTask only
}

func (s *server) apiDescribeActivity(ctx context.Context, body []byte) (any, error) {
	var in activityARNInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	a, err := s.e.DescribeActivity(ctx, in.ActivityArn)
	if err != nil {
		return nil, err
	}
	return activityDescription(a), nil
}

func (s *server) apiListActivities(ctx context.Context, body []byte) (any, error) {
	var in pageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return listPage(in, s.e.ListActivities(ctx), "activities", activityDescription)
}

func (s *server) apiDeleteActivity(ctx context.Context, body []byte) (any, error) {
	var in activityARNInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return map[string]any{}, s.e.DeleteActivity(ctx, in.ActivityArn)
}

// apiGetActivityTask long-polls for up to 60 s; a poll that ends empty
// answers {} (no taskToken), as AWS does.
func (s *server) apiGetActivityTask(ctx context.Context, body []byte) (any, error) {
	var in activityARNInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.WorkerName) > 80 {
		return nil, apiErrorf(codeValidationException,
			"1 validation error detected: Value '%s' at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80", in.WorkerName)
	}
	task, err := s.e.GetActivityTask(ctx, in.ActivityArn, in.WorkerName)
	if err != nil {
		return nil, err
	}
	if task.Token == "" {
		return map[string]any{}, nil
	}
	return map[string]any{"taskToken": task.Token, "input": task.Input}, nil
}
