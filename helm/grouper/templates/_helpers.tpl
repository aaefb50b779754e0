{{/* Chart name, overridable with nameOverride. */}}
{{- define "grouper.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "grouper.fullname" -}}
{{- $name := include "grouper.name" . -}}
{{- $qualified := ternary .Release.Name (printf "%s-%s" .Release.Name $name) (contains $name .Release.Name) -}}
{{- .Values.fullnameOverride | default $qualified | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "grouper.redis.fullname" -}}
{{- printf "%s-redis" (include "grouper.fullname" . | trunc 57 | trimSuffix "-") -}}
{{- end }}

{{- define "grouper.metaLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "grouper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "grouper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "grouper.labels" -}}
{{ include "grouper.selectorLabels" . }}
{{ include "grouper.metaLabels" . }}
{{- end }}

{{/* The bundled Redis gets its own component so that Grouper's Service never selects it. */}}
{{- define "grouper.redis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "grouper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: redis
{{- end }}

{{- define "grouper.redis.labels" -}}
{{ include "grouper.redis.selectorLabels" . }}
{{ include "grouper.metaLabels" . }}
{{- end }}

{{- define "grouper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "grouper.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end }}

{{- define "grouper.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end }}

{{/* The Redis URL the chart stores in its own Secret: redis.url, or the bundled Redis. */}}
{{- define "grouper.redisUrl" -}}
{{- if .Values.redis.bundled.enabled -}}
{{- if or .Values.redis.url .Values.redis.existingSecret -}}
{{- fail "redis.bundled.enabled cannot be combined with redis.url or redis.existingSecret" -}}
{{- end -}}
{{- printf "redis://%s:6379" (include "grouper.redis.fullname" .) -}}
{{- else -}}
{{- .Values.redis.url -}}
{{- end -}}
{{- end }}

{{/* "true" when any Redis setting is given; otherwise Grouper runs on its in-memory store. */}}
{{- define "grouper.redisConfigured" -}}
{{- if or (include "grouper.redisUrl" .) .Values.redis.sentinels .Values.redis.clusterNodes .Values.redis.existingSecret -}}
true
{{- end -}}
{{- end }}

{{/* "true" when the chart creates the Secret (an existingSecret replaces it). */}}
{{- define "grouper.createSecret" -}}
{{- if and (not .Values.redis.existingSecret) (or (include "grouper.redisUrl" .) .Values.redis.password) -}}
true
{{- end -}}
{{- end }}
