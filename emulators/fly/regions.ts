export interface Region {
  code: string;
  name: string;
  latitude: number;
  longitude: number;
  gatewayAvailable: boolean;
  geoRegion: string;
}

/** Where a machine lands when the request names no region ("near you"). */
export const NEAREST_REGION = "iad";

/** The 18 regions Fly lists in its docs (reference/regions, Aug 2026); gru and jnb have no WireGuard gateway. */
export const REGIONS: readonly Region[] = [
  {
    code: "ams",
    name: "Amsterdam, Netherlands",
    latitude: 52.374342,
    longitude: 4.895439,
    gatewayAvailable: true,
    geoRegion: "eu",
  },
  {
    code: "arn",
    name: "Stockholm, Sweden",
    latitude: 59.6512,
    longitude: 17.9178,
    gatewayAvailable: true,
    geoRegion: "eu",
  },
  {
    code: "bom",
    name: "Mumbai, India",
    latitude: 19.0974,
    longitude: 72.8745,
    gatewayAvailable: true,
    geoRegion: "ap",
  },
  {
    code: "cdg",
    name: "Paris, France",
    latitude: 48.860875,
    longitude: 2.353477,
    gatewayAvailable: true,
    geoRegion: "eu",
  },
  {
    code: "dfw",
    name: "Dallas, Texas (US)",
    latitude: 32.778287,
    longitude: -96.7984,
    gatewayAvailable: true,
    geoRegion: "na",
  },
  {
    code: "ewr",
    name: "Secaucus, NJ (US)",
    latitude: 40.789543,
    longitude: -74.056308,
    gatewayAvailable: true,
    geoRegion: "na",
  },
  {
    code: "fra",
    name: "Frankfurt, Germany",
    latitude: 50.1167,
    longitude: 8.6833,
    gatewayAvailable: true,
    geoRegion: "eu",
  },
  {
    code: "gru",
    name: "Sao Paulo, Brazil",
    latitude: -23.549664,
    longitude: -46.654351,
    gatewayAvailable: false,
    geoRegion: "sa",
  },
  {
    code: "iad",
    name: "Ashburn, Virginia (US)",
    latitude: 39.02214,
    longitude: -77.462556,
    gatewayAvailable: true,
    geoRegion: "na",
  },
  {
    code: "jnb",
    name: "Johannesburg, South Africa",
    latitude: -26.20227,
    longitude: 28.04363,
    gatewayAvailable: false,
    geoRegion: "af",
  },
  {
    code: "lax",
    name: "Los Angeles, California (US)",
    latitude: 33.9416,
    longitude: -118.4085,
    gatewayAvailable: true,
    geoRegion: "na",
  },
  {
    code: "lhr",
    name: "London, United Kingdom",
    latitude: 51.516434,
    longitude: -0.125656,
    gatewayAvailable: true,
    geoRegion: "eu",
  },
  {
    code: "nrt",
    name: "Tokyo, Japan",
    latitude: 35.621238,
    longitude: 139.741107,
    gatewayAvailable: true,
    geoRegion: "ap",
  },
  {
    code: "ord",
    name: "Chicago, Illinois (US)",
    latitude: 41.891017,
    longitude: -87.630089,
    gatewayAvailable: true,
    geoRegion: "na",
  },
  {
    code: "sin",
    name: "Singapore, Singapore",
    latitude: 1.3,
    longitude: 103.8,
    gatewayAvailable: true,
    geoRegion: "ap",
  },
  {
    code: "sjc",
    name: "San Jose, California (US)",
    latitude: 37.351601,
    longitude: -121.896744,
    gatewayAvailable: true,
    geoRegion: "na",
  },
  {
    code: "syd",
    name: "Sydney, Australia",
    latitude: -33.866034,
    longitude: 151.20693,
    gatewayAvailable: true,
    geoRegion: "oc",
  },
  {
    code: "yyz",
    name: "Toronto, Canada",
    latitude: 43.644745,
    longitude: -79.390796,
    gatewayAvailable: true,
    geoRegion: "na",
  },
];

export function isKnownRegion(code: string): boolean {
  return REGIONS.some((region) => region.code === code);
}
