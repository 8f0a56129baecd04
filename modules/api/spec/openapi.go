package spec

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Document is the OpenAPI 3.1 document of Routes, as served at
// OpenAPIPath. It is written once, on first use (the table never
// changes); callers share it and must not modify it.
func Document() []byte { return written() }

var written = sync.OnceValue(func() []byte {
	// Deterministic sorts map keys, so the document is the same bytes on
	// every start; json/v2 leaves "<API_KEY>" unescaped by default.
	b, err := json.Marshal(document(Routes), json.Deterministic(true), jsontext.WithIndent("  "))
	if err != nil {
		panic("spec: the OpenAPI document does not encode: " + err.Error()) // a bug in this package, found by its tests
	}
	return append(b, '\n')
})

const jsonMedia = "application/json"

type doc struct {
	OpenAPI    string                          `json:"openapi"`
	Info       info                            `json:"info"`
	Servers    []server                        `json:"servers"`
	Security   []map[string][]string           `json:"security"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components components                      `json:"components"`
}

type operation struct {
	OperationID string                 `json:"operationId"`
	Summary     string                 `json:"summary"`
	Description string                 `json:"description,omitempty"`
	Security    *[]map[string][]string `json:"security,omitzero"` // set and empty on a public route
	Parameters  []any                  `json:"parameters,omitempty"`
	RequestBody *requestBody           `json:"requestBody,omitempty"`
	Responses   map[string]any         `json:"responses"`
}

type requestBody struct {
	Required    bool                 `json:"required"`
	Description string               `json:"description,omitempty"`
	Content     map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema  Schema `json:"schema"`
	Example any    `json:"example,omitempty"`
}

type response struct {
	Description string                       `json:"description"`
	Headers     map[string]map[string]Schema `json:"headers,omitempty"`
	Content     map[string]mediaType         `json:"content"`
}

type parameter struct {
	Name        string `json:"name"`
	In          string `json:"in"`
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
	Schema      Schema `json:"schema"`
}

type components struct {
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
	Parameters      map[string]parameter      `json:"parameters"`
	Responses       map[string]response       `json:"responses"`
	Schemas         map[string]Schema         `json:"schemas"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

type ref struct {
	Ref string `json:"$ref"`
}

// document is the OpenAPI document of routes.
func document(routes []Route) doc {
	d := doc{
		OpenAPI:  "3.1.0",
		Info:     apiInfo,
		Servers:  apiServers,
		Security: []map[string][]string{{"bearer": {}}},
		Paths:    map[string]map[string]operation{},
		Components: components{
			SecuritySchemes: map[string]securityScheme{"bearer": {Type: "http", Scheme: "bearer",
				Description: "API_KEY, as `Authorization: Bearer <API_KEY>`."}},
			Parameters: map[string]parameter{},
			Responses:  map[string]response{},
			Schemas:    map[string]Schema{"Error": errorSchema(routes)},
		},
	}
	for name, s := range Schemas {
		d.Components.Schemas[name] = s
	}
	for _, f := range Global {
		d.Components.Responses[f.Shared] = failureResponse(f)
	}
	for _, r := range routes {
		if d.Paths[r.Path] == nil {
			d.Paths[r.Path] = map[string]operation{}
		}
		d.Paths[r.Path][strings.ToLower(r.Method)] = operationOf(r, &d.Components)
	}
	return d
}

// operationOf is r's operation; the parameters and failures it shares
// with other routes go into c, and the operation refers to them there.
func operationOf(r Route, c *components) operation {
	op := operation{OperationID: r.ID, Summary: r.Summary, Description: r.Description, Responses: map[string]any{}}
	if r.Public {
		op.Security = &[]map[string][]string{}
	}
	for _, p := range r.Params {
		if !p.Shared {
			op.Parameters = append(op.Parameters, parameterOf(p))
			continue
		}
		c.Parameters[p.Name] = parameterOf(p)
		op.Parameters = append(op.Parameters, ref{"#/components/parameters/" + p.Name})
	}
	if r.Body != nil {
		op.RequestBody = &requestBody{Required: r.Body.Required, Description: r.Body.Description,
			Content: map[string]mediaType{jsonMedia: {Schema: Ref(r.Body.Schema), Example: r.Body.Example}}}
	}
	op.Responses[strconv.Itoa(r.OK.Status)] = response{Description: r.OK.Description,
		Content: map[string]mediaType{jsonMedia: {Schema: r.OK.Schema}}}
	for _, f := range r.Failures {
		status := strconv.Itoa(f.Status)
		if f.Shared == "" {
			op.Responses[status] = failureResponse(f)
			continue
		}
		c.Responses[f.Shared] = failureResponse(f)
		op.Responses[status] = ref{"#/components/responses/" + f.Shared}
	}
	return op
}

func parameterOf(p Param) parameter {
	return parameter{Name: p.Name, In: p.In, Required: p.In == InPath, Description: p.Description, Schema: p.Schema}
}

// failureResponse is f's response: each code and when it is given, and
// the Error schema narrowed to those codes.
func failureResponse(f Failure) response {
	var why, codes []string
	for _, c := range f.Codes {
		why = append(why, "`"+c.Name+"`: "+c.When)
		codes = append(codes, c.Name)
	}
	schema := Ref("Error")
	schema.Properties = map[string]Schema{"error": {Enum: codes}}
	resp := response{Description: strings.Join(why, " "), Content: map[string]mediaType{jsonMedia: {Schema: schema}}}
	for name, h := range f.Headers {
		if resp.Headers == nil {
			resp.Headers = map[string]map[string]Schema{}
		}
		resp.Headers[name] = map[string]Schema{"schema": h}
	}
	return resp
}

// errorSchema is every error body: {"error":"<code>"}, the code one of
// those routes and Global give.
func errorSchema(routes []Route) Schema {
	var codes []string
	add := func(fs []Failure) {
		for _, f := range fs {
			for _, c := range f.Codes {
				if !slices.Contains(codes, c.Name) {
					codes = append(codes, c.Name)
				}
			}
		}
	}
	for _, r := range routes {
		add(r.Failures)
	}
	add(Global)
	return Schema{Type: "object", Required: []string{"error"},
		Properties: map[string]Schema{"error": {Type: "string", Enum: codes}}}
}
