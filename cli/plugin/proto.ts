// Argo's artifact-driver service (package `artifact`, service `ArtifactService`), written from the
// field list of Argo Workflows v4.1's pkg/apiclient/artifact/artifact.proto: same package, service,
// method, message and field names and numbers, so Argo's own client talks to us unchanged. The
// google.api.http options of Argo's file are left out (Argo serves no HTTP gateway for this service).
// The text is embedded (not a file next to the bundle) and loaded at run time by @grpc/proto-loader:
// no code generation step, nothing to find on disk.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export const ARTIFACT_PROTO = `
syntax = "proto3";
package artifact;

message PluginArtifact {
  string name = 1;
  string configuration = 2;
  int32 connection_timeout_seconds = 3;
  string key = 4;
}

message Artifact {
  string name = 1;
  string path = 2;
  int32 mode = 3;
  string from = 4;
  PluginArtifact plugin = 5;
  bool optional = 6;
  string sub_path = 7;
  bool recurse_mode = 8;
  string from_expression = 9;
  bool deleted = 10;
}

message LoadArtifactRequest {
  Artifact input_artifact = 1;
  string path = 2;
}

message LoadArtifactResponse {
  bool success = 1;
  string error = 2;
}

message OpenStreamRequest {
  Artifact artifact = 1;
}

message OpenStreamResponse {
  bytes data = 1;
  bool is_end = 2;
  string error = 3;
}

message SaveArtifactRequest {
  string path = 1;
  Artifact output_artifact = 2;
}

message SaveArtifactResponse {
  bool success = 1;
  string error = 2;
}

message DeleteArtifactRequest {
  Artifact artifact = 1;
}

message DeleteArtifactResponse {
  bool success = 1;
  string error = 2;
}

message ListObjectsRequest {
  Artifact artifact = 1;
}

message ListObjectsResponse {
  repeated string objects = 1;
  string error = 2;
}

message IsDirectoryRequest {
  Artifact artifact = 1;
}

message IsDirectoryResponse {
  bool is_directory = 1;
  string error = 2;
}

// First frame: output_artifact only; then one chunk of the content per frame.
message SaveStreamArtifactRequest {
  Artifact output_artifact = 1;
  bytes chunk = 2;
}

message GetCapabilitiesRequest {
}

message GetCapabilitiesResponse {
  bool supports_save_stream = 1;
}

service ArtifactService {
  rpc Load(LoadArtifactRequest) returns (LoadArtifactResponse);
  rpc OpenStream(OpenStreamRequest) returns (stream OpenStreamResponse);
  rpc Save(SaveArtifactRequest) returns (SaveArtifactResponse);
  rpc Delete(DeleteArtifactRequest) returns (DeleteArtifactResponse);
  rpc ListObjects(ListObjectsRequest) returns (ListObjectsResponse);
  rpc IsDirectory(IsDirectoryRequest) returns (IsDirectoryResponse);
  rpc SaveStream(stream SaveStreamArtifactRequest) returns (SaveArtifactResponse);
  rpc GetCapabilities(GetCapabilitiesRequest) returns (GetCapabilitiesResponse);
}
`;

// ---- the messages as the handlers see them (proto field names; defaults filled in) ----------------

export interface PluginArtifact {
  name: string;
  configuration: string;
  connection_timeout_seconds: number;
  key: string;
}

export interface Artifact {
  name: string;
  path: string;
  mode: number;
  from: string;
  plugin: PluginArtifact | null;
  optional: boolean;
  sub_path: string;
  recurse_mode: boolean;
  from_expression: string;
  deleted: boolean;
}

export interface LoadArtifactRequest {
  input_artifact: Artifact | null;
  path: string;
}
export interface SaveArtifactRequest {
  path: string;
  output_artifact: Artifact | null;
}
export interface ArtifactRequest {
  artifact: Artifact | null;
}
export interface SaveStreamArtifactRequest {
  output_artifact: Artifact | null;
  chunk: Buffer;
}
export interface SuccessResponse {
  success: boolean;
  error: string;
}
export interface OpenStreamResponse {
  data?: Buffer;
  is_end?: boolean;
  error?: string;
}
export interface ListObjectsResponse {
  objects: string[];
  error: string;
}
export interface IsDirectoryResponse {
  is_directory: boolean;
  error: string;
}
export interface GetCapabilitiesResponse {
  supports_save_stream: boolean;
}

let cached: ServiceDefinition | undefined;

/** The ArtifactService definition for grpc-js Server.addService (field names as in the proto). */
export function artifactServiceDefinition(): ServiceDefinition {
  if (!cached) {
    const root = protobuf.parse(ARTIFACT_PROTO, { keepCase: true }).root;
    const definition = fromJSON(root.toJSON(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = loadPackageDefinition(definition) as unknown as { artifact: { ArtifactService: { service: ServiceDefinition } } };
    cached = pkg.artifact.ArtifactService.service;
  }
  return cached;
}
