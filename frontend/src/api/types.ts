/** Short names for the schemas of the generated OpenAPI types. */
import type { components } from "./schema";

type Schemas = components["schemas"];

export type SessionPublic = Schemas["SessionPublic"];
export type UserPublic = Schemas["UserPublic"];
export type PatientPublic = Schemas["PatientPublic"];
export type PatientUpdate = Schemas["PatientUpdate"];
export type PatientCreate = Schemas["PatientCreate"];
export type RecordingPublic = Schemas["RecordingPublic"];
export type PreviewStatusPublic = Schemas["PreviewStatusPublic"];
export type StorageListing = Schemas["StorageListing"];
export type EventPublic = Schemas["EventPublic"];
export type EventUpdate = Schemas["EventUpdate"];
/** A semiological sign code of an event (`ictal.manifest.signs`). */
export type Sign = NonNullable<EventPublic["signs"]>[number];
export type MoiPublic = Schemas["MoiPublic"];
export type MoiCreate = Schemas["MoiCreate"];
export type MoiUpdate = Schemas["MoiUpdate"];
export type Vocabulary = Schemas["Vocabulary"];
export type ModelRunPublic = Schemas["ModelRunPublic"];
export type ModelRunDetail = Schemas["ModelRunDetail"];
