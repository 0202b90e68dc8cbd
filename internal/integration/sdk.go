package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// registerSDK registers aws-sdk:<service>:<action> for every operation of
// c, and its .waitForTaskToken form.
func registerSDK(r *registrar, service string, c sdkClient) {
	for _, action := range c.actions() {
		r.add("aws-sdk:"+service, action, true, func(ctx context.Context, params []byte) ([]byte, error) {
			return c.call(ctx, action, params)
		})
	}
}

// sdkClient calls an aws-sdk-go-v2 client's operations by name, for the
// services whose protocol is not JSON (S3's REST, SNS's query): the
// request is decoded from Step Functions' parameters into the operation's
// input struct (its fields are the API's PascalCase names), and the answer
// encoded from its output struct, as Step Functions shows an AWS SDK
// integration's answer: nulls left out, streamed bodies as text.
type sdkClient struct {
	client    reflect.Value
	serviceID string // the error prefix: S3, Sns
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
	readerType  = reflect.TypeFor[io.Reader]()
	timeType    = reflect.TypeFor[time.Time]()
)

// actions are the client's operations, as Step Functions names them
// (getObject): its methods of the form Op(ctx, *OpInput, ...func(*Options))
// (*OpOutput, error). A nil client lists them too (Targets).
func (c sdkClient) actions() []string {
	var out []string
	for i := range c.client.NumMethod() {
		if isOperation(c.client.Method(i)) {
			name := c.client.Type().Method(i).Name
			out = append(out, strings.ToLower(name[:1])+name[1:])
		}
	}
	return out
}

// call runs action with params and returns its answer as JSON; a service
// error is named <ServiceId>.<Code>Exception.
func (c sdkClient) call(ctx context.Context, action string, params []byte) ([]byte, error) {
	answer, _, err := c.invoke(ctx, action, params)
	if err != nil {
		return nil, sdkError(err, c.serviceID)
	}
	return json.Marshal(answer)
}

// invoke runs action with params and returns its answer as JSON values
// and the HTTP response it came in; a service error is an *apiError.
func (c sdkClient) invoke(ctx context.Context, action string, params []byte) (map[string]any, *http.Response, error) {
	m := c.client.MethodByName(upperFirst(action))
	if !m.IsValid() || !isOperation(m) {
		return nil, nil, fmt.Errorf("%s has no operation %s", c.serviceID, action)
	}
	in := reflect.New(m.Type().In(1).Elem())
	if err := decodeInput(params, in); err != nil {
		return nil, nil, &sdkParamError{service: c.serviceID, err: err}
	}
	res := m.Call([]reflect.Value{reflect.ValueOf(ctx), in})
	if err, _ := res[1].Interface().(error); err != nil {
		return nil, nil, apiErrorOf(err)
	}
	out := res[0].Elem()
	var raw *http.Response
	if md, ok := out.FieldByName("ResultMetadata").Interface().(middleware.Metadata); ok {
		if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
			raw = r.Response
		}
	}
	v, err := encodeOutput(out)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", c.serviceID, action, err)
	}
	answer, _ := v.(map[string]any)
	return answer, raw, nil
}

// isOperation reports whether a method (bound to its client) is an SDK
// operation.
func isOperation(m reflect.Value) bool {
	mt := m.Type()
	return mt.NumIn() == 3 && mt.In(0) == contextType && mt.In(1).Kind() == reflect.Pointer &&
		mt.In(1).Elem().Kind() == reflect.Struct && mt.IsVariadic() &&
		mt.NumOut() == 2 && mt.Out(1) == errorType && mt.Out(0).Kind() == reflect.Pointer
}

// sdkParamError is a request Step Functions' parameters cannot make.
type sdkParamError struct {
	service string
	err     error
}

func (e *sdkParamError) Error() string { return e.service + ": invalid parameters: " + e.err.Error() }
func (e *sdkParamError) Unwrap() error { return e.err }

// decodeInput fills the input struct in (a pointer) from params. Fields
// the SDK streams (io.Reader: S3's Body) take the parameter's text.
func decodeInput(params []byte, in reflect.Value) error {
	fields, err := objectOf(params)
	if err != nil {
		return err
	}
	st := in.Elem()
	for i := range st.NumField() {
		f := st.Type().Field(i)
		if !f.IsExported() || f.Type != readerType {
			continue
		}
		for k, raw := range fields {
			if strings.EqualFold(k, f.Name) {
				st.Field(i).Set(reflect.ValueOf(io.Reader(strings.NewReader(textOf(raw)))))
				delete(fields, k)
			}
		}
	}
	rest, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	return json.Unmarshal(rest, in.Interface())
}

// encodeOutput turns an SDK output value into JSON values: exported
// fields by name, nil and zero-length values left out, the SDK's result
// metadata dropped, streams read as text, times in RFC 3339, bytes in
// base64.
func encodeOutput(v reflect.Value) (any, error) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		if rc, ok := v.Interface().(io.ReadCloser); ok {
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				return nil, fmt.Errorf("read body: %w", err)
			}
			return string(b), nil
		}
		return encodeOutput(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano), nil
		}
		out := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue
			}
			x, err := encodeOutput(v.Field(i))
			if err != nil {
				return nil, err
			}
			if x != nil {
				out[f.Name] = x
			}
		}
		return out, nil
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), nil
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			x, err := encodeOutput(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		out := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			x, err := encodeOutput(it.Value())
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(it.Key().Interface())] = x
		}
		return out, nil
	}
	return v.Interface(), nil
}

// apiErrorOf reads an SDK error's code, message, status and request id.
func apiErrorOf(err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return err
	}
	out := &apiError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		out.Status, out.RequestID = re.HTTPStatusCode(), re.ServiceRequestID()
	}
	return out
}
