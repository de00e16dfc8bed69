// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
// @ts-nocheck -- precompiled ajv standalone code; the typed export is at the end of the file.
import type { components } from "../schema.js";
import { formats, type Validator, ucs2length } from "./runtime.js";
const v_VideoGenerationRequest = validate53;
const schema20 = { "type": "object", "required": ["model", "prompt", "video_urls"], "properties": { "model": { "type": "string" }, "prompt": { "type": "string", "maxLength": 5e3 }, "video_urls": { "type": "array", "items": { "type": "string", "format": "uri" }, "minItems": 1, "maxItems": 1 }, "image_urls": { "type": "array", "items": { "type": "string", "format": "uri" }, "minItems": 1, "maxItems": 4 }, "aspect_ratio": { "type": "string", "enum": ["16:9", "9:16", "1:1"] }, "keep_original_sound": { "type": "boolean" }, "callback_url": { "type": "string", "format": "uri", "maxLength": 2048, "pattern": "^[Hh][Tt][Tt][Pp][Ss]://" } } };
const func1 = ucs2length;
const formats0 = formats.uri;
const pattern3 = new RegExp("^[Hh][Tt][Tt][Pp][Ss]://", "u");
function validate53(data, { instancePath = "", parentData, parentDataProperty, rootData = data, dynamicAnchors = {} } = {}) {
  let vErrors = null;
  let errors = 0;
  if (data && typeof data == "object" && !Array.isArray(data)) {
    if (data.model === void 0) {
      const err0 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "model" }, message: "must have required property 'model'" };
      if (vErrors === null) {
        vErrors = [err0];
      } else {
        vErrors.push(err0);
      }
      errors++;
    }
    if (data.prompt === void 0) {
      const err1 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "prompt" }, message: "must have required property 'prompt'" };
      if (vErrors === null) {
        vErrors = [err1];
      } else {
        vErrors.push(err1);
      }
      errors++;
    }
    if (data.video_urls === void 0) {
      const err2 = { instancePath, schemaPath: "#/required", keyword: "required", params: { missingProperty: "video_urls" }, message: "must have required property 'video_urls'" };
      if (vErrors === null) {
        vErrors = [err2];
      } else {
        vErrors.push(err2);
      }
      errors++;
    }
    if (data.model !== void 0) {
      if (typeof data.model !== "string") {
        const err3 = { instancePath: instancePath + "/model", schemaPath: "#/properties/model/type", keyword: "type", params: { type: "string" }, message: "must be string" };
        if (vErrors === null) {
          vErrors = [err3];
        } else {
          vErrors.push(err3);
        }
        errors++;
      }
    }
    if (data.prompt !== void 0) {
      let data1 = data.prompt;
      if (typeof data1 === "string") {
        if (func1(data1) > 5e3) {
          const err4 = { instancePath: instancePath + "/prompt", schemaPath: "#/properties/prompt/maxLength", keyword: "maxLength", params: { limit: 5e3 }, message: "must NOT have more than 5000 characters" };
          if (vErrors === null) {
            vErrors = [err4];
          } else {
            vErrors.push(err4);
          }
          errors++;
        }
      } else {
        const err5 = { instancePath: instancePath + "/prompt", schemaPath: "#/properties/prompt/type", keyword: "type", params: { type: "string" }, message: "must be string" };
        if (vErrors === null) {
          vErrors = [err5];
        } else {
          vErrors.push(err5);
        }
        errors++;
      }
    }
    if (data.video_urls !== void 0) {
      let data2 = data.video_urls;
      if (Array.isArray(data2)) {
        if (data2.length > 1) {
          const err6 = { instancePath: instancePath + "/video_urls", schemaPath: "#/properties/video_urls/maxItems", keyword: "maxItems", params: { limit: 1 }, message: "must NOT have more than 1 items" };
          if (vErrors === null) {
            vErrors = [err6];
          } else {
            vErrors.push(err6);
          }
          errors++;
        }
        if (data2.length < 1) {
          const err7 = { instancePath: instancePath + "/video_urls", schemaPath: "#/properties/video_urls/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
          if (vErrors === null) {
            vErrors = [err7];
          } else {
            vErrors.push(err7);
          }
          errors++;
        }
        const len0 = data2.length;
        for (let i0 = 0; i0 < len0; i0++) {
          let data3 = data2[i0];
          if (typeof data3 === "string") {
            if (!formats0(data3)) {
              const err8 = { instancePath: instancePath + "/video_urls/" + i0, schemaPath: "#/properties/video_urls/items/format", keyword: "format", params: { format: "uri" }, message: 'must match format "uri"' };
              if (vErrors === null) {
                vErrors = [err8];
              } else {
                vErrors.push(err8);
              }
              errors++;
            }
          } else {
            const err9 = { instancePath: instancePath + "/video_urls/" + i0, schemaPath: "#/properties/video_urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
              vErrors = [err9];
            } else {
              vErrors.push(err9);
            }
            errors++;
          }
        }
      } else {
        const err10 = { instancePath: instancePath + "/video_urls", schemaPath: "#/properties/video_urls/type", keyword: "type", params: { type: "array" }, message: "must be array" };
        if (vErrors === null) {
          vErrors = [err10];
        } else {
          vErrors.push(err10);
        }
        errors++;
      }
    }
    if (data.image_urls !== void 0) {
      let data4 = data.image_urls;
      if (Array.isArray(data4)) {
        if (data4.length > 4) {
          const err11 = { instancePath: instancePath + "/image_urls", schemaPath: "#/properties/image_urls/maxItems", keyword: "maxItems", params: { limit: 4 }, message: "must NOT have more than 4 items" };
          if (vErrors === null) {
            vErrors = [err11];
          } else {
            vErrors.push(err11);
          }
          errors++;
        }
        if (data4.length < 1) {
          const err12 = { instancePath: instancePath + "/image_urls", schemaPath: "#/properties/image_urls/minItems", keyword: "minItems", params: { limit: 1 }, message: "must NOT have fewer than 1 items" };
          if (vErrors === null) {
            vErrors = [err12];
          } else {
            vErrors.push(err12);
          }
          errors++;
        }
        const len1 = data4.length;
        for (let i1 = 0; i1 < len1; i1++) {
          let data5 = data4[i1];
          if (typeof data5 === "string") {
            if (!formats0(data5)) {
              const err13 = { instancePath: instancePath + "/image_urls/" + i1, schemaPath: "#/properties/image_urls/items/format", keyword: "format", params: { format: "uri" }, message: 'must match format "uri"' };
              if (vErrors === null) {
                vErrors = [err13];
              } else {
                vErrors.push(err13);
              }
              errors++;
            }
          } else {
            const err14 = { instancePath: instancePath + "/image_urls/" + i1, schemaPath: "#/properties/image_urls/items/type", keyword: "type", params: { type: "string" }, message: "must be string" };
            if (vErrors === null) {
              vErrors = [err14];
            } else {
              vErrors.push(err14);
            }
            errors++;
          }
        }
      } else {
        const err15 = { instancePath: instancePath + "/image_urls", schemaPath: "#/properties/image_urls/type", keyword: "type", params: { type: "array" }, message: "must be array" };
        if (vErrors === null) {
          vErrors = [err15];
        } else {
          vErrors.push(err15);
        }
        errors++;
      }
    }
    if (data.aspect_ratio !== void 0) {
      let data6 = data.aspect_ratio;
      if (typeof data6 !== "string") {
        const err16 = { instancePath: instancePath + "/aspect_ratio", schemaPath: "#/properties/aspect_ratio/type", keyword: "type", params: { type: "string" }, message: "must be string" };
        if (vErrors === null) {
          vErrors = [err16];
        } else {
          vErrors.push(err16);
        }
        errors++;
      }
      if (!(data6 === "16:9" || data6 === "9:16" || data6 === "1:1")) {
        const err17 = { instancePath: instancePath + "/aspect_ratio", schemaPath: "#/properties/aspect_ratio/enum", keyword: "enum", params: { allowedValues: schema20.properties.aspect_ratio.enum }, message: "must be equal to one of the allowed values" };
        if (vErrors === null) {
          vErrors = [err17];
        } else {
          vErrors.push(err17);
        }
        errors++;
      }
    }
    if (data.keep_original_sound !== void 0) {
      if (typeof data.keep_original_sound !== "boolean") {
        const err18 = { instancePath: instancePath + "/keep_original_sound", schemaPath: "#/properties/keep_original_sound/type", keyword: "type", params: { type: "boolean" }, message: "must be boolean" };
        if (vErrors === null) {
          vErrors = [err18];
        } else {
          vErrors.push(err18);
        }
        errors++;
      }
    }
    if (data.callback_url !== void 0) {
      let data8 = data.callback_url;
      if (typeof data8 === "string") {
        if (func1(data8) > 2048) {
          const err19 = { instancePath: instancePath + "/callback_url", schemaPath: "#/properties/callback_url/maxLength", keyword: "maxLength", params: { limit: 2048 }, message: "must NOT have more than 2048 characters" };
          if (vErrors === null) {
            vErrors = [err19];
          } else {
            vErrors.push(err19);
          }
          errors++;
        }
        if (!pattern3.test(data8)) {
          const err20 = { instancePath: instancePath + "/callback_url", schemaPath: "#/properties/callback_url/pattern", keyword: "pattern", params: { pattern: "^[Hh][Tt][Tt][Pp][Ss]://" }, message: 'must match pattern "^[Hh][Tt][Tt][Pp][Ss]://"' };
          if (vErrors === null) {
            vErrors = [err20];
          } else {
            vErrors.push(err20);
          }
          errors++;
        }
        if (!formats0(data8)) {
          const err21 = { instancePath: instancePath + "/callback_url", schemaPath: "#/properties/callback_url/format", keyword: "format", params: { format: "uri" }, message: 'must match format "uri"' };
          if (vErrors === null) {
            vErrors = [err21];
          } else {
            vErrors.push(err21);
          }
          errors++;
        }
      } else {
        const err22 = { instancePath: instancePath + "/callback_url", schemaPath: "#/properties/callback_url/type", keyword: "type", params: { type: "string" }, message: "must be string" };
        if (vErrors === null) {
          vErrors = [err22];
        } else {
          vErrors.push(err22);
        }
        errors++;
      }
    }
  } else {
    const err23 = { instancePath, schemaPath: "#/type", keyword: "type", params: { type: "object" }, message: "must be object" };
    if (vErrors === null) {
      vErrors = [err23];
    } else {
      vErrors.push(err23);
    }
    errors++;
  }
  validate53.errors = vErrors;
  return errors === 0;
}
export {
  v_VideoGenerationRequest
};

/** Validates a `VideoGenerationRequest` (components.schemas.VideoGenerationRequest); errors are left in `.errors`. */
export const validateVideoGenerationRequest: Validator<components["schemas"]["VideoGenerationRequest"]> = v_VideoGenerationRequest;
