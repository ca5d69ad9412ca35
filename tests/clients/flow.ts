// An athlete's flow written against the TypeScript types openapi-typescript generated from the
// served document (api.d.ts, written by tests/clients/run.sh) with openapi-fetch: it must compile
// under `tsc --strict`, so every request body and response field it names exists with its type.
import createClient from "openapi-fetch";
import type { paths } from "./api";

export async function athleteFlow(baseUrl: string, email: string, password: string): Promise<number> {
  const api = createClient<paths>({ baseUrl: `${baseUrl}/api/v1` });
  const { data: registered, error } = await api.POST("/auth/register", {
    body: { email, password, language: "sr-Cyrl" },
  });
  if (!registered) throw new Error(error?.detail ?? "registration failed");
  const headers = { authorization: `Bearer ${registered.token}` };
  await api.PUT("/health-profile", {
    headers,
    body: {
      birth_date: "1996-04-12", sex: "female", weight_kg: 60, height_cm: 170,
      activity_level: "moderate", sport: "endurance", training_hours_per_week: 6, goal: "maintain",
      allergies: [], conditions: [], medications: [],
    },
  });
  const { data: targets } = await api.GET("/nutrition/targets", { headers });
  const today = new Date().toISOString().slice(0, 10);
  const { data: plan } = await api.POST("/meal-plans/daily", {
    headers,
    body: { date: today, pinned_dishes: [], training_load: "moderate" },
  });
  const { data: entry } = await api.POST("/progress", {
    headers,
    body: { date: today, weight_kg: 60.4, training_load: targets?.training },
  });
  await api.PUT("/progress/{date}", {
    headers,
    params: { path: { date: today } },
    body: { weight_kg: entry?.weight_kg ?? 60.2 },
  });
  return plan?.totals.energy_kcal ?? 0;
}
